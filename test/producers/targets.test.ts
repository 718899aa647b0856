import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ort from 'onnxruntime-node';
import { runExperiment } from '../../src/core/experiment/run.js';
import { parseExperiment } from '../../src/core/experiment/spec.js';
import { saveModel } from '../../src/core/onnx/model.js';
import { GraphBuilder } from '../../src/core/onnx/builder.js';
import { DT } from '../../src/core/onnx/tensor.js';
import { TrainingSession } from '../../src/core/session.js';
import { weights } from './graphs.js';

/** x[batch,4] → Linear → Reshape to `outDims` (e.g. [batch,1] or [batch,1,1,K]). */
function model(k: number, outDims: number[]) {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DT.FLOAT, ['batch', 4]);
  const y = b.scope('fc', () => b.op('MatMul', [x, b.initializer('fc.weight', [4, k], weights(4 * k))]));
  b.output(b.op('Reshape', [y, b.i64([-1, ...outDims])]), 'out', DT.FLOAT, ['batch', ...outDims]);
  return b.build();
}
const x = new ort.Tensor('float32', Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)), [3, 4]);
const sgd = { name: 'sgd' as const, lr: 0.1 };

test('regression targets broadcast by element count: a scalar per row for [N,1], a flat list for [N,1,1,K]', async () => {
  const t1 = new ort.Tensor('float32', Float32Array.of(0.5, -1, 2), [3]);
  const s1 = await TrainingSession.create(model(1, [1]), { x, labels: t1 }, { task: 'regression', optimizer: sgd });
  const r1 = await s1.evalStep({ x, labels: t1 });
  const p1 = r1.prediction.data as Float32Array;
  assert.ok(Math.abs(r1.loss - [0.5, -1, 2].reduce((a, t, i) => a + (p1[i] - t) ** 2, 0) / 3) < 1e-6);
  await s1.release();
  const t2 = new ort.Tensor('float32', Float32Array.from({ length: 9 }, (_, i) => i / 9), [3, 3]);
  const s2 = await TrainingSession.create(model(3, [1, 1, 3]), { x, labels: t2 }, { task: 'regression', optimizer: sgd });
  const r2 = await s2.evalStep({ x, labels: t2 });
  const p2 = r2.prediction.data as Float32Array;
  assert.ok(Math.abs(r2.loss - p2.reduce((a, p, i) => a + (p - i / 9) ** 2, 0) / 9) < 1e-6);
  await s2.release();
});

test('a regression target count that does not match the output is a clear error', async () => {
  const t = new ort.Tensor('float32', Float32Array.from({ length: 6 }, (_, i) => i), [3, 2]);
  await assert.rejects(TrainingSession.create(model(3, [1, 1, 3]), { x, labels: t }, { task: 'regression', optimizer: sgd }),
    /regression targets have 2 values per row but output 'out' \[batch,1,1,3\] has 3/);
});

test('a class label the output does not have is a clear error naming the row, not a GatherElements failure', async () => {
  const ok = new ort.Tensor('int64', BigInt64Array.from([0n, 2n, 1n]), [3]);
  const s = await TrainingSession.create(model(3, [3]), { x, labels: ok }, { task: 'classification', optimizer: sgd });
  const bad = new ort.Tensor('int64', BigInt64Array.from([0n, 1n, 5n]), [3]);
  await assert.rejects(s.trainStep({ x, labels: bad }), /label 5 \(row 3 of the batch\) is not a class of output 'out', which has 3/);
  await s.release();
  await assert.rejects(TrainingSession.create(model(3, [3]), { x, labels: bad }, { task: 'classification', optimizer: sgd }), /label 5 of the first batch is not a class/);
});

/** A regression run on `model(k, outDims)` over JSONL rows {x: [4 numbers], y: target(i)}. */
async function regressionRun(k: number, outDims: number[], target: (i: number) => unknown, data: Record<string, unknown> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-targets-'));
  await saveModel(model(k, outDims), path.join(dir, 'model.onnx'));
  const rows = Array.from({ length: 8 }, (_, i) => JSON.stringify({ x: [0, 1, 2, 3].map((j) => Math.sin(i * 4 + j)), y: target(i) }));
  fs.writeFileSync(path.join(dir, 'train.jsonl'), rows.join('\n') + '\n');
  const spec = parseExperiment({
    model: 'model.onnx', task: 'regression', data: { train: 'train.jsonl', columns: { target: 'y' }, ...data }, batchSize: 4, steps: 2,
    shuffle: false, threads: 1, optimizer: sgd, output: 'runs',
  });
  return runExperiment(spec, { baseDir: dir });
}

test('a run broadcasts targets by element count; a row with another count is refused naming its line, or skipped', async () => {
  assert.equal((await regressionRun(1, [1], (i) => i / 8)).status, 'completed');
  assert.equal((await regressionRun(3, [1, 1, 3], (i) => [i, -i, 1])).status, 'completed');
  const uneven = (i: number) => (i === 2 ? [1, 2] : [i, -i, 1]);
  await assert.rejects(regressionRun(3, [1, 1, 3], uneven), /train\.jsonl:3: 2 target values but output 'out' \[batch,1,1,3\] has 3/);
  await assert.rejects(regressionRun(3, [1, 1, 3], (i) => i), /train\.jsonl:1: 1 target value but output 'out' \[batch,1,1,3\] has 3/);
  const skipped = await regressionRun(3, [1, 1, 3], uneven, { skipBadRows: true });
  assert.equal(skipped.status, 'completed');
});
