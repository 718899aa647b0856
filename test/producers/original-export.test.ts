import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ModelProto } from 'onnx-buf';
import ort from 'onnxruntime-node';
import { checkpointDir } from '../../src/core/checkpoints/checkpoint.js';
import { exportCheckpoint } from '../../src/core/checkpoints/export.js';
import { runExperiment } from '../../src/core/experiment/run.js';
import { parseExperiment } from '../../src/core/experiment/spec.js';
import { GraphBuilder } from '../../src/core/onnx/builder.js';
import { defaultOpset, loadModel, serializeModel } from '../../src/core/onnx/model.js';
import { DT, tensorValues } from '../../src/core/onnx/tensor.js';
import { walkNodes } from '../../src/core/onnx/walk.js';
import { normalizedExportNote, originalWithValues } from '../../src/core/original-form.js';
import { TrainingSession, type SessionOptions } from '../../src/core/session.js';
import { prepareModel, type Feeds } from '../../src/core/training-graph.js';
import { FIXTURES, readRows, rowsToFeeds } from '../helpers/fixtures.js';
import { behindConstantIf, ifClassifier, toConstantForm, weights } from './graphs.js';

const sgd = { name: 'sgd' as const, lr: 0.5 };
const classify: SessionOptions = { task: 'classification', optimizer: sgd, threads: 1 };
const x = new ort.Tensor('float32', Float32Array.from({ length: 16 }, (_, i) => Math.cos(i * 0.7)), [4, 4]);
const labels = new ort.Tensor('int64', BigInt64Array.from([0n, 1n, 2n, 1n]), [4]);

const opTypes = (m: ModelProto) => [...walkNodes(m.graph!)].map(({ node }) => node.opType);

/** Runs `model` in a plain InferenceSession on the feeds it takes. */
async function infer(model: ModelProto | string, feeds: Feeds): Promise<Record<string, ort.Tensor>> {
  const s = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(serializeModel(model));
  try {
    return await s.run(Object.fromEntries(s.inputNames.map((n) => [n, feeds[n]])));
  } finally {
    await s.release();
  }
}

function maxDiff(a: ort.Tensor, b: ort.Tensor): number {
  assert.deepEqual(a.dims, b.dims);
  const x = a.data as Float32Array, y = b.data as Float32Array;
  return x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
}

/**
 * Trains `original` a few steps, exports it, and checks the export is the original graph (opset, node types in
 * order, subgraphs included, every output) whose output `prediction` a plain session computes as the trained
 * session does (and not as the untrained model did); `fromTrained` maps the trained session's prediction to it.
 */
async function checkExport(original: ModelProto, feeds: Feeds, prediction: string, opts: SessionOptions = classify, fromTrained = (t: ort.Tensor) => t) {
  const s = await TrainingSession.create(original, feeds, opts);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ft-origexp-')), 'model.onnx');
  try {
    for (let k = 0; k < 3; k++) {
      s.lazyResetGrad();
      await s.trainStep(feeds);
      s.optimizerStep();
    }
    assert.equal(await s.exportModelForInference(file), undefined, 'exported in its original form');
    const trained = fromTrained((await s.evalStep(feeds)).prediction);
    const exported = loadModel(file);
    assert.equal(defaultOpset(exported), defaultOpset(original));
    assert.deepEqual(opTypes(exported), opTypes(original));
    assert.deepEqual(exported.graph!.output.map((o) => o.name), original.graph!.output.map((o) => o.name));
    const [now, before] = [await infer(file, feeds), await infer(original, feeds)];
    assert.deepEqual(Object.keys(now).sort(), original.graph!.output.map((o) => o.name).sort());
    assert.ok(maxDiff(now[prediction], trained) <= 1e-6, `exported vs trained: ${maxDiff(now[prediction], trained)}`);
    assert.ok(maxDiff(before[prediction], trained) > 1e-4, 'training changed the output');
    return { exported, now };
  } finally {
    await s.release();
  }
}

const producers = ['cnn-softmax.op9', 'mlp-logsoftmax.op10', 'upsample-convtranspose.op11', 'binary-sigmoid.op12'];
for (const name of producers) {
  test(`${name}: the export is the original graph (its opset, nodes, outputs) with the trained weights`, async () => {
    const dir = path.join(FIXTURES, 'producers');
    const feeds = rowsToFeeds(readRows(path.join(dir, `${name}.train.jsonl`)).slice(0, 4));
    const original = loadModel(path.join(dir, `${name}.onnx`));
    assert.ok(defaultOpset(original) < 13);
    await checkExport(original, feeds, original.graph!.output[0].name);
  });
}

/** x[batch,4] → fc1 (4→5) → Relu → fc2 (5→3) → out. */
function mlp(): ModelProto {
  const b = new GraphBuilder({ opset: 17 });
  const input = b.input('x', DT.FLOAT, ['batch', 4]);
  const h = b.scope('fc1', () => b.op('Add', [b.op('MatMul', [input, b.initializer('fc1.weight', [4, 5], weights(20, 1))]), b.initializer('fc1.bias', [5], weights(5, 2))]));
  const y = b.scope('fc2', () => b.op('MatMul', [b.op('Relu', [h]), b.initializer('fc2.weight', [5, 3], weights(15, 3))]));
  b.output(y, 'out', DT.FLOAT, ['batch', 3]);
  return b.build();
}

test('Constant-node weights stay Constant nodes holding the trained values; a body behind a constant If stays behind it', async () => {
  const constant = toConstantForm(mlp());
  const { exported } = await checkExport(constant, { x, labels }, 'out');
  assert.equal(exported.graph!.initializer.length, 0, 'no weight became an initializer');
  const folded = behindConstantIf(mlp());
  const r = await checkExport(folded, { x, labels }, 'out');
  assert.equal(r.exported.graph!.node.filter((n) => n.opType === 'If').length, 1);
});

test('a data-dependent If with Constant weights in its branches keeps the If; each branch holds its trained weight', async () => {
  // Rows of both signs, so both branches train.
  const mixed = new ort.Tensor('float32', Float32Array.from({ length: 16 }, (_, i) => (i < 8 ? 1 : -1) * (0.2 + Math.abs(Math.cos(i)))), [4, 4]);
  const model = ifClassifier({ constantWeights: true });
  for (const rows of [[0, 1], [2, 3]]) {
    const part = new ort.Tensor('float32', (mixed.data as Float32Array).slice(rows[0] * 4, rows[1] * 4 + 4), [2, 4]);
    await checkExport(model, { x: part, labels: new ort.Tensor('int64', BigInt64Array.from([0n, 2n]), [2]) }, 'out');
  }
});

test('modelOutput: only the sub-graph reaching it trains; the export keeps the post-processing and every output', async () => {
  const b = new GraphBuilder({ opset: 17 });
  const input = b.input('x', DT.FLOAT, ['batch', 4]);
  const logits = b.scope('fc', () => b.op('MatMul', [input, b.initializer('fc.weight', [4, 3], weights(12))]));
  b.output(b.op('ArgMax', [b.op('Softmax', [logits], { axis: 1 })], { axis: 1, keepdims: 0 }), 'class', DT.INT64, ['batch']);
  b.output(b.op('Mul', [logits, b.f32(2)]), 'scaled', DT.FLOAT, ['batch', 3]);
  const model = b.build();
  const logitsName = model.graph!.node.find((n) => n.opType === 'MatMul')!.output[0];
  const double = (t: ort.Tensor) => new ort.Tensor('float32', (t.data as Float32Array).map((v) => v * 2), t.dims);
  const { now } = await checkExport(model, { x, labels }, 'scaled', { ...classify, prediction: logitsName }, double);
  assert.equal(now.class.type, 'int64');
});

test('a copy the exporter deduplicated (Identity) trains on its own and keeps its Identity; a folded transpose stays tied', async () => {
  const b = new GraphBuilder({ opset: 17 });
  const input = b.input('x', DT.FLOAT, ['batch', 4]);
  b.initializer('a.weight', [4, 3], weights(12, 4));
  b.initializer('wte.weight', [3, 4], weights(12, 5));
  // The folded transpose of wte.weight, as the TorchScript exporter writes GPT-2's lm_head.
  const wte = weights(12, 5);
  b.initializer('onnx::MatMul_9', [4, 3], Float32Array.from({ length: 12 }, (_, k) => wte[(k % 3) * 4 + Math.floor(k / 3)]));
  const [copy] = b.node('Identity', ['a.weight'], {}, { outputs: ['b.weight'] });
  const h = b.op('Add', [b.op('MatMul', [input, 'a.weight']), b.op('MatMul', [b.op('Relu', [input]), copy])]);
  const tied = b.op('Add', [b.op('MatMul', [input, 'onnx::MatMul_9']), b.op('Gemm', [input, 'wte.weight'], { transB: 1 })]);
  b.output(b.op('Add', [h, tied]), 'out', DT.FLOAT, ['batch', 3]);
  const model = b.build();
  const s = await TrainingSession.create(model, { x, labels }, classify);
  assert.deepEqual(s.trainable.map((p) => p.name).sort(), ['a.weight', 'b.weight', 'wte.weight']);
  await s.release();
  const { exported } = await checkExport(model, { x, labels }, 'out');
  const init = (n: string) => exported.graph!.initializer.find((t) => t.name === n)!;
  const identity = exported.graph!.node.find((n) => n.output[0] === 'b.weight')!;
  assert.equal(identity.input[0], 'b.weight/untied');
  assert.ok(init('b.weight/untied'));
  const [w, t] = [tensorValues(init('wte.weight')), tensorValues(init('onnx::MatMul_9'))];
  for (let k = 0; k < 12; k++) assert.equal(t[k], w[(k % 3) * 4 + Math.floor(k / 3)], 'the copy is the transpose of the trained weight');
});

test('LoRA: the export is the original graph with the adapters merged into the base weights', async () => {
  const { exported } = await checkExport(mlp(), { x, labels }, 'out', {
    ...classify, lora: { r: 2, alpha: 4, target: ['fc1'], trainAlso: ['fc2.*'], seed: 1 },
  });
  assert.deepEqual(exported.graph!.initializer.map((t) => t.name).sort(), ['fc1.bias', 'fc1.weight', 'fc2.weight']);
});

test('a trained value with no place in the original graph is reported, for the fallback to the normalized graph', () => {
  const original = mlp();
  const prepared = prepareModel(original);
  const r = originalWithValues(original, prepared.graph!, new Map([['fc1.weight', new Float32Array(20)], ['made.on.load', new Float32Array(3)]]));
  assert.deepEqual(r.unplaced, ['made.on.load']);
  assert.match(normalizedExportNote(r.unplaced), /^exported the normalized graph .*: trained value 'made\.on\.load' has no place in the original graph$/);
  // A value of the wrong size is not written either.
  assert.deepEqual(originalWithValues(original, prepared.graph!, new Map([['fc1.weight', new Float32Array(3)]])).unplaced, ['fc1.weight']);
});

test('a run exports the original opset-10 graph, and a checkpoint exports to the same model', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-origrun-'));
  const src = path.join(FIXTURES, 'producers');
  fs.copyFileSync(path.join(src, 'mlp-logsoftmax.op10.onnx'), path.join(dir, 'model.onnx'));
  fs.copyFileSync(path.join(src, 'mlp-logsoftmax.op10.train.jsonl'), path.join(dir, 'train.jsonl'));
  const spec = parseExperiment({
    model: 'model.onnx', task: 'classification', data: { train: 'train.jsonl' }, batchSize: 4, steps: 2, shuffle: false, threads: 1,
    optimizer: { name: 'sgd', lr: 0.1 }, output: 'runs',
  });
  const logs: string[] = [];
  const summary = await runExperiment(spec, { baseDir: dir, onEvent: (e) => { if (e.type === 'log') logs.push(e.message); } });
  assert.ok(!logs.some((l) => /exported the normalized graph/.test(l)), logs.join('\n'));
  const ckpt = path.join(dir, 'checkpoint.onnx');
  await exportCheckpoint(summary.runDir, checkpointDir(summary.runDir, 2), ckpt);
  const feeds = rowsToFeeds(readRows(path.join(src, 'mlp-logsoftmax.op10.train.jsonl')).slice(0, 4));
  for (const file of [summary.modelPath!, ckpt]) assert.equal(defaultOpset(loadModel(file)), 10, file);
  const [a, b, before] = [await infer(summary.modelPath!, feeds), await infer(ckpt, feeds), await infer(path.join(dir, 'model.onnx'), feeds)];
  assert.equal(maxDiff(a.out, b.out), 0);
  assert.ok(maxDiff(a.out, before.out) > 1e-4);
});
