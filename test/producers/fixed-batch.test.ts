import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { GraphBuilder } from '../../src/core/onnx/builder.js';
import { DT } from '../../src/core/onnx/tensor.js';
import { TrainingSession } from '../../src/core/session.js';
import { weights } from './graphs.js';

const feeds = {
  x: new ort.Tensor('float32', Float32Array.from({ length: 4 * 2 * 3 }, (_, i) => Math.cos(i)), [4, 2, 3]),
  labels: new ort.Tensor('int64', BigInt64Array.from([0n, 1n, 2n, 1n]), [4]),
};

/** A streaming-style model exported with a batch of 1: x[1,2,3] → Flatten-like Reshape → Linear → out[1,3]. */
function fixedBatchModel(reshape: number[]) {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DT.FLOAT, [1, 2, 3]);
  const w = b.initializer('fc.weight', [6, 3], weights(18));
  const flat = b.op('Reshape', [x, b.i64(reshape)]);
  b.output(b.scope('fc', () => b.op('MatMul', [flat, w])), 'out', DT.FLOAT, [1, 3]);
  return b.build();
}

test('a fixed batch of 1 is relaxed where the graph allows: batch 4 trains, the load notes say so', async () => {
  const s = await TrainingSession.create(fixedBatchModel([-1, 6]), feeds, { task: 'classification', optimizer: { name: 'sgd', lr: 0.1 } });
  const r = await s.trainStep(feeds);
  assert.deepEqual(r.prediction.dims, [4, 3]);
  assert.ok(s.loadNotes.some((n) => /'x' had a fixed batch of 1: relaxed/.test(n)), s.loadNotes.join('\n'));
  await s.release();
});

test('a graph that depends on the batch of 1: a clear error naming the input and what to set', async () => {
  await assert.rejects(
    TrainingSession.create(fixedBatchModel([1, 6]), feeds, { task: 'classification', optimizer: { name: 'sgd', lr: 0.1 } }),
    /input 'x' was exported with a fixed batch of 1 and the graph depends on it .*"batchSize": 1/,
  );
});
