import assert from 'node:assert/strict';
import { test } from 'node:test';
import ort from 'onnxruntime-node';
import { DT, GraphBuilder, Rng } from '../../src/core/onnx/builder.js';
import { TrainingSession } from '../../src/core/session.js';
import { LABELS } from '../../src/core/training-graph.js';

const V = 7, D = 3, C = 2;

/** logits = mean over the sequence of emb[ids] · W: an embedding whose gradient is its gathered rows. */
function embeddingModel() {
  const b = new GraphBuilder({ opset: 17 });
  const rng = new Rng(3);
  const ids = b.input('ids', DT.INT64, ['batch', 'sequence']);
  const emb = b.initializer('emb.weight', [V, D], rng.normals(V * D, 1));
  const w = b.initializer('head.weight', [D, C], rng.normals(D * C, 1));
  const pooled = b.op('ReduceMean', [b.op('Gather', [emb, ids])], { axes: [1], keepdims: 0 });
  b.output(b.op('MatMul', [pooled, w]), 'logits', DT.FLOAT, ['batch', C]);
  return b.build();
}

/** The embedding's cross-entropy gradient in float64: each occurrence of a row gets (softmax - onehot)·Wᵀ / (B·S). */
function expectedGradient(s: TrainingSession, ids: number[][], labels: number[]): Float64Array {
  const emb = s.trainable.find((p) => p.name === 'emb.weight')!.data, w = s.trainable.find((p) => p.name === 'head.weight')!.data;
  const B = ids.length, S = ids[0].length, grad = new Float64Array(V * D);
  ids.forEach((row, bi) => {
    const idx = row.map((r) => (r < 0 ? r + V : r));
    const h = Array.from({ length: D }, (_, d) => idx.reduce((a, r) => a + emb[r * D + d], 0) / S);
    const z = Array.from({ length: C }, (_, c) => h.reduce((a, hd, d) => a + hd * w[d * C + c], 0));
    const m = Math.max(...z), e = z.map((x) => Math.exp(x - m)), sum = e.reduce((a, x) => a + x, 0);
    const dz = e.map((x, c) => (x / sum - (c === labels[bi] ? 1 : 0)) / B);
    const dh = Array.from({ length: D }, (_, d) => dz.reduce((a, g, c) => a + g * w[d * C + c], 0));
    for (const r of idx) for (let d = 0; d < D; d++) grad[r * D + d] += dh[d] / S;
  });
  return grad;
}

const feedsOf = (ids: number[][], labels: number[]) => ({
  ids: new ort.Tensor('int64', BigInt64Array.from(ids.flat().map(BigInt)), [ids.length, ids[0].length]),
  [LABELS]: new ort.Tensor('int64', BigInt64Array.from(labels.map(BigInt)), [labels.length]),
});

test('an embedding trains from the rows its Gather read (repeats and negative indices summed), not a dense scatter', async () => {
  // Row 2 three times, row 6 as -1 and 6, rows 0/1/3/5 once, row 4 never.
  const ids = [[2, 0, 2, -1], [6, 2, 1, 3], [5, 0, 1, 2]], labels = [1, 0, 1];
  const model = embeddingModel();
  for (const accumulation of [1, 2]) {
    const s = await TrainingSession.create(model, feedsOf(ids, labels), {
      task: 'classification', optimizer: { name: 'sgd', lr: 0.1 }, gradientAccumulation: accumulation,
    });
    const outputs = (s as unknown as { compiled: { gradOutputs: unknown[]; train: { graph: { node: { opType: string }[] } } } }).compiled;
    assert.ok(outputs.gradOutputs.some((o) => typeof o === 'object'), 'the embedding has a row gradient');
    assert.ok(!outputs.train.graph.node.some((n) => n.opType === 'ScatterND'), 'no dense scatter left in the training graph');
    // Twice: the second run must not add to the first run's rows (the slice is zeroed), also in the accumulating path.
    for (let k = 0; k < 2; k++) {
      s.lazyResetGrad();
      for (let m = 0; m < accumulation; m++) await s.trainStep(feedsOf(ids, labels));
      const expected = expectedGradient(s, ids, labels), grad = s.trainable.find((p) => p.name === 'emb.weight')!.grad;
      expected.forEach((g, j) => assert.ok(Math.abs(grad[j] - g) < 1e-6, `accumulation ${accumulation}, run ${k}, emb grad[${j}] ${grad[j]} vs ${g}`));
      assert.deepEqual(Array.from(grad.subarray(4 * D, 5 * D)), [0, 0, 0], 'a row no index read has no gradient');
    }
    await s.release();
  }
});
