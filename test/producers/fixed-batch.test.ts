import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { GraphBuilder } from '../../src/core/onnx/builder.js';
import { DT } from '../../src/core/onnx/tensor.js';
import type { ModelProto } from 'onnx-buf';
import { TrainingSession, type SessionOptions } from '../../src/core/session.js';
import type { Feeds } from '../../src/core/training-graph.js';
import { weights } from './graphs.js';

const feeds = {
  x: new ort.Tensor('float32', Float32Array.from({ length: 4 * 2 * 3 }, (_, i) => Math.cos(i)), [4, 2, 3]),
  labels: new ort.Tensor('int64', BigInt64Array.from([0n, 1n, 2n, 1n]), [4]),
};

/** A streaming-style model exported with a batch of 1: x[1,2,3] → Flatten-like Reshape → Linear → out[1,3]. */
function fixedBatchModel(reshape: number[], batch: number | string = 1) {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DT.FLOAT, [batch, 2, 3]);
  const w = b.initializer('fc.weight', [6, 3], weights(18));
  const flat = b.op('Reshape', [x, b.i64(reshape)]);
  b.output(b.scope('fc', () => b.op('MatMul', [flat, w])), 'out', DT.FLOAT, [batch, 3]);
  return b.build();
}

test('a fixed batch of 1 is relaxed where the graph allows: batch 4 trains, the load notes say so', async () => {
  const s = await TrainingSession.create(fixedBatchModel([-1, 6]), feeds, { task: 'classification', optimizer: { name: 'sgd', lr: 0.1 } });
  const r = await s.trainStep(feeds);
  assert.deepEqual(r.prediction.dims, [4, 3]);
  assert.ok(s.loadNotes.some((n) => /'x' had a fixed batch of 1: relaxed/.test(n)), s.loadNotes.join('\n'));
  await s.release();
});

/** A session's per-step losses and parameters over `steps` optimizer steps of `accumulation` batches each. */
async function trajectory(model: ModelProto, batches: Feeds[], opts: SessionOptions, steps: number) {
  const accumulation = opts.gradientAccumulation ?? 1;
  const s = await TrainingSession.create(model, batches[0], opts);
  const losses: number[] = [], params: Float32Array[] = [];
  for (let k = 0; k < steps; k++) {
    s.lazyResetGrad();
    let loss = 0;
    for (let m = 0; m < accumulation; m++) loss += (await s.trainStep(batches[(k * accumulation + m) % batches.length])).loss / accumulation;
    s.optimizerStep();
    losses.push(loss);
    params.push(s.getContiguousParameters());
  }
  const evaluated = await s.evalStep(batches[0]);
  await s.release();
  return { losses, params, evaluated, notes: s.loadNotes, rowByRow: s.rowByRow };
}

function assertSame(a: Awaited<ReturnType<typeof trajectory>>, b: Awaited<ReturnType<typeof trajectory>>) {
  a.losses.forEach((l, k) => assert.ok(Math.abs(l - b.losses[k]) <= 1e-6 * Math.abs(b.losses[k]), `step ${k + 1} loss ${l} vs ${b.losses[k]}`));
  a.params.forEach((p, k) => p.forEach((v, j) => assert.ok(Math.abs(v - b.params[k][j]) <= 1e-6, `step ${k + 1} parameter ${j}: ${v} vs ${b.params[k][j]}`)));
  assert.ok(Math.abs(a.evaluated.loss - b.evaluated.loss) <= 1e-6 * b.evaluated.loss, 'eval loss');
  assert.deepEqual(a.evaluated.prediction.dims, b.evaluated.prediction.dims);
  (a.evaluated.prediction.data as Float32Array).forEach((v, j) => assert.ok(Math.abs(v - (b.evaluated.prediction.data as Float32Array)[j]) <= 1e-6, 'eval prediction'));
}

const batch = (seed: number): Feeds => ({
  x: new ort.Tensor('float32', Float32Array.from({ length: 4 * 2 * 3 }, (_, i) => Math.cos(i * seed)), [4, 2, 3]),
  labels: new ort.Tensor('int64', BigInt64Array.from([0n, 1n, 2n, 1n].map((l) => (l + BigInt(seed)) % 3n)), [4]),
});

test('a graph that depends on its batch of 1 trains row by row: batch 4 gives the steps of a real batch of 4', async () => {
  const opts: SessionOptions = { task: 'classification', optimizer: { name: 'adamw', lr: 0.05, weightDecay: 0.01 }, gradientAccumulation: 2, threads: 1 };
  const batches = [1, 2, 3].map(batch);
  const fixed = await trajectory(fixedBatchModel([1, 6]), batches, opts, 3);
  const symbolic = await trajectory(fixedBatchModel([-1, 6], 'batch'), batches, opts, 3);
  assert.equal(fixed.rowByRow, true);
  assert.equal(symbolic.rowByRow, false);
  assert.ok(fixed.notes.some((n) => /^input 'x' has a fixed batch of 1 that the graph depends on \(.*\): each batch runs row by row/.test(n)), fixed.notes.join('\n'));
  assert.ok(!fixed.notes.some((n) => /relaxed to any batch size/.test(n)), fixed.notes.join('\n'));
  assertSame(fixed, symbolic);
});

/** A tiny causal LM: ids[1,5] → embedding · mask → Reshape to [1,5,4] (or [-1,5,4]) → MatMul → logits[1,5,6]. */
function tinyLm(batch: number | string) {
  const b = new GraphBuilder({ opset: 17 });
  const ids = b.input('input_ids', DT.INT64, [batch, 5]);
  const mask = b.input('attention_mask', DT.INT64, [batch, 5]);
  const emb = b.op('Gather', [b.initializer('wte.weight', [6, 4], weights(24, 3)), ids]);
  const masked = b.op('Mul', [emb, b.op('Unsqueeze', [b.op('Cast', [mask], { to: DT.FLOAT }), b.i64([2])])]);
  const h = b.op('Reshape', [masked, b.i64([batch === 1 ? 1 : -1, 5, 4])]);
  b.output(b.scope('lm_head', () => b.op('MatMul', [h, b.initializer('lm_head.weight', [4, 6], weights(24, 4))])), 'logits', DT.FLOAT, [batch, 5, 6]);
  return b.build();
}

test('causal LM row by row: each row weighs by the positions its mask keeps, as the batch\'s mean over kept positions', async () => {
  const opts: SessionOptions = { task: 'causal-lm', optimizer: { name: 'sgd', lr: 0.5, momentum: 0.9 }, threads: 1 };
  const lm = (seed: number): Feeds => ({
    input_ids: new ort.Tensor('int64', BigInt64Array.from({ length: 20 }, (_, i) => BigInt((i * seed + 1) % 6)), [4, 5]),
    // Rows keep 3, 5, 2 and 4 positions: a plain average of row losses would differ from the batch's.
    attention_mask: new ort.Tensor('int64', BigInt64Array.from([1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0].map(BigInt)), [4, 5]),
  });
  const batches = [1, 2].map(lm);
  const fixed = await trajectory(tinyLm(1), batches, opts, 3);
  const symbolic = await trajectory(tinyLm('batch'), batches, opts, 3);
  assert.equal(fixed.rowByRow, true);
  assertSame(fixed, symbolic);
});
