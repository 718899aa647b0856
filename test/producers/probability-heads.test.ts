import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { GraphBuilder } from '../../src/core/onnx/builder.js';
import { DT } from '../../src/core/onnx/tensor.js';
import { TrainingSession } from '../../src/core/session.js';

/** x[batch,4] → Linear(4→k) → `final` (Softmax / LogSoftmax / Sigmoid / none): a classifier as other producers end one. */
function classifier(k: number, final?: string) {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DT.FLOAT, ['batch', 4]);
  const w = b.initializer('fc.weight', [4, k], Float32Array.from({ length: 4 * k }, (_, i) => Math.sin(i + 1)));
  const bias = b.initializer('fc.bias', [k], Float32Array.from({ length: k }, (_, i) => 0.1 * i - 0.05));
  let y = b.scope('fc', () => b.op('Add', [b.op('MatMul', [x, w]), bias]));
  if (final) y = b.op(final, [y], final === 'Sigmoid' ? {} : { axis: -1 });
  b.output(y, 'out', DT.FLOAT, ['batch', k]);
  return b.build();
}

const n = 6;
const x = new ort.Tensor('float32', Float32Array.from({ length: n * 4 }, (_, i) => Math.cos(i * 0.7)), [n, 4]);
const labels = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), [values.length]);

async function firstLoss(model: ReturnType<typeof classifier>, y: ort.Tensor) {
  const feeds = { x, labels: y };
  const s = await TrainingSession.create(model, feeds, { task: 'classification', optimizer: { name: 'sgd', lr: 0.5 } });
  const r = await s.evalStep(feeds);
  const losses = [r.loss];
  for (let i = 0; i < 5; i++) {
    s.lazyResetGrad();
    losses.push((await s.trainStep(feeds)).loss);
    s.optimizerStep();
  }
  await s.release();
  return { loss: r.loss, out: r.prediction.data as Float32Array, losses, note: s.loss.note, kind: s.loss.kind };
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 2e-6 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('a final Softmax: cross-entropy on the logits beneath, step-0 loss = mean −log p of the real output', async () => {
  const y = [0, 2, 1, 2, 0, 1];
  const r = await firstLoss(classifier(3, 'Softmax'), labels(y));
  const expected = y.reduce((acc, c, i) => acc - Math.log(r.out[i * 3 + c]), 0) / n;
  close(r.loss, expected, 'loss');
  assert.equal(r.kind, 'cross-entropy');
  assert.match(r.note, /probabilities \(Softmax node .*input logits/);
  assert.ok(r.losses.at(-1)! < r.losses[0] * 0.9, `training lowers the loss: ${r.losses}`);
  // Same trajectory as the logits model: the Softmax is looked through, not trained on.
  const logits = await firstLoss(classifier(3), labels(y));
  r.losses.forEach((l, i) => close(l, logits.losses[i], `step ${i}`));
});

test('a final LogSoftmax: NLL of the real output', async () => {
  const y = [1, 2, 0, 0, 2, 1];
  const r = await firstLoss(classifier(3, 'LogSoftmax'), labels(y));
  close(r.loss, -y.reduce((acc, c, i) => acc + r.out[i * 3 + c], 0) / n, 'loss');
});

test('a single Sigmoid: binary cross-entropy with logits, step-0 loss = mean −log p(label)', async () => {
  const y = [0, 1, 1, 0, 1, 0];
  const r = await firstLoss(classifier(1, 'Sigmoid'), labels(y));
  const expected = -y.reduce((acc, c, i) => acc + Math.log(c ? r.out[i] : 1 - r.out[i]), 0) / n;
  close(r.loss, expected, 'loss');
  assert.equal(r.kind, 'binary-cross-entropy');
  assert.match(r.note, /single Sigmoid/);
  assert.ok(r.losses.at(-1)! < r.losses[0], `training lowers the loss: ${r.losses}`);
});

test('a single logit with 0/1 labels: binary cross-entropy with logits (not a one-column softmax)', async () => {
  const y = [1, 1, 0, 0, 1, 0];
  const r = await firstLoss(classifier(1), labels(y));
  const sig = (z: number) => 1 / (1 + Math.exp(-z));
  close(r.loss, -y.reduce((acc, c, i) => acc + Math.log(c ? sig(r.out[i]) : 1 - sig(r.out[i])), 0) / n, 'loss');
  assert.match(r.note, /single logit/);
});

test('K Sigmoids: multi-label BCE on label lists, one-hot BCE on class indices', async () => {
  const hot = [1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1];
  const multi = await firstLoss(classifier(3, 'Sigmoid'), new ort.Tensor('float32', Float32Array.from(hot), [n, 3]));
  const bce = (out: Float32Array, t: number[]) => -t.reduce((acc, c, i) => acc + Math.log(c ? out[i] : 1 - out[i]), 0) / t.length;
  close(multi.loss, bce(multi.out, hot), 'multi-label loss');
  assert.match(multi.note, /multi-label/);
  const y = [0, 2, 1, 1, 0, 2];
  const single = await firstLoss(classifier(3, 'Sigmoid'), labels(y));
  close(single.loss, bce(single.out, y.flatMap((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0)))), 'one-hot loss');
});
