import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ort from 'onnxruntime-node';
import { TrainingSession } from '../../src/core/session.js';
import { loadModel } from '../../src/core/onnx/model.js';
import { FIXTURES, readRows, rowsToFeeds } from '../helpers/fixtures.js';

const mlp = path.join(FIXTURES, 'mlp.ts.onnx');
const encoder = path.join(FIXTURES, 'encoder.ts.onnx');
const mlpRows = readRows(path.join(FIXTURES, 'mlp.train.jsonl'));
const encRows = readRows(path.join(FIXTURES, 'encoder.train.jsonl'));
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ft-session-'));

async function trainSteps(session: TrainingSession, rows: Record<string, unknown>[], steps: number, batch = 8) {
  for (let s = 0; s < steps; s++) {
    session.lazyResetGrad();
    await session.trainStep(rowsToFeeds(rows.slice(s * batch, (s + 1) * batch)));
    session.optimizerStep();
  }
}

test('exported model runs in a plain InferenceSession and gives the trained logits', async () => {
  const session = await TrainingSession.create(encoder, rowsToFeeds(encRows.slice(0, 8)), {
    task: 'classification', optimizer: { name: 'adamw', lr: 1e-3 }, threads: 1,
  });
  await trainSteps(session, encRows, 3);
  const feeds = rowsToFeeds(encRows.slice(40, 48));
  const trained = (await session.evalStep(feeds)).prediction.data as Float32Array;
  const dir = tmp();
  for (const [file, threshold] of [['inline.onnx', undefined], ['external.onnx', 1024]] as const) {
    const out = path.join(dir, file);
    await session.exportModelForInference(out, { externalDataThreshold: threshold, metadata: { labels: '["a","b","c"]' } });
    const plain = await ort.InferenceSession.create(out);
    const logits = (await plain.run({ input_ids: feeds.input_ids, attention_mask: feeds.attention_mask })).logits.data as Float32Array;
    assert.equal(logits.length, trained.length);
    logits.forEach((v, i) => assert.ok(Math.abs(v - trained[i]) < 1e-5, `${file} logit ${i}: ${v} vs ${trained[i]}`));
    assert.equal(loadModel(out).metadataProps.find((p) => p.key === 'labels')?.value, '["a","b","c"]');
    await plain.release();
  }
  assert.ok(fs.existsSync(path.join(dir, 'external.onnx.data')), 'large tensors went to external data');
  await session.release();
});

test('parameters round-trip through one contiguous buffer', async () => {
  const session = await TrainingSession.create(mlp, rowsToFeeds(mlpRows.slice(0, 8)), { task: 'classification', optimizer: { name: 'sgd', lr: 0.1 } });
  const before = session.getContiguousParameters();
  const feeds = rowsToFeeds(mlpRows.slice(0, 8));
  const loss0 = (await session.evalStep(feeds)).loss;
  await trainSteps(session, mlpRows, 2);
  assert.notEqual((await session.evalStep(feeds)).loss, loss0);
  session.loadParametersBuffer(before);
  assert.equal((await session.evalStep(feeds)).loss, loss0);
  assert.throws(() => session.loadParametersBuffer(new Float32Array(3)), /parameter buffer has 3 values/);
  await session.release();
});

test('gradient accumulation over two half batches equals one full batch', async () => {
  const opts = { task: 'classification' as const, optimizer: { name: 'sgd' as const, lr: 0.1 }, threads: 1 };
  const full = await TrainingSession.create(mlp, rowsToFeeds(mlpRows.slice(0, 8)), opts);
  const halves = await TrainingSession.create(mlp, rowsToFeeds(mlpRows.slice(0, 4)), { ...opts, gradientAccumulation: 2 });
  full.lazyResetGrad();
  await full.trainStep(rowsToFeeds(mlpRows.slice(0, 8)));
  halves.lazyResetGrad();
  await halves.trainStep(rowsToFeeds(mlpRows.slice(0, 4)));
  await halves.trainStep(rowsToFeeds(mlpRows.slice(4, 8)));
  full.trainable.forEach((p, i) => p.grad.forEach((g, j) =>
    assert.ok(Math.abs(g - halves.trainable[i].grad[j]) < 1e-6, `${p.name}[${j}]: ${g} vs ${halves.trainable[i].grad[j]}`)));
  await Promise.all([full.release(), halves.release()]);
});

test('frozen parameters are constants: no gradient outputs, fewer backward nodes', async () => {
  const sample = rowsToFeeds(encRows.slice(0, 8));
  const all = await TrainingSession.create(encoder, sample, { task: 'classification', optimizer: { name: 'sgd', lr: 0.1 } });
  const head = await TrainingSession.create(encoder, sample, { task: 'classification', optimizer: { name: 'sgd', lr: 0.1 }, freeze: ['tok.*', 'pos.*', 'ln.*', 'layers.*'] });
  assert.deepEqual(head.trainable.map((p) => p.name).sort(), ['head.bias', 'head.weight']);
  // onnx::MatMul_196 is layers.0.qkv's weight: the module-path glob froze it
  assert.ok(all.trainable.some((p) => p.name === 'onnx::MatMul_196'));
  assert.ok(head.parameterCount(true) < all.parameterCount(true));
  await Promise.all([all.release(), head.release()]);
});

test('tied initializers are untied into separate parameters', async () => {
  const session = await TrainingSession.create(encoder, rowsToFeeds(encRows.slice(0, 8)), { task: 'classification', optimizer: { name: 'sgd', lr: 0.1 } });
  const names = session.trainable.map((p) => p.name);
  for (const n of ['ln.weight', 'layers.0.ln1.weight', 'layers.1.ln2.bias']) assert.ok(names.includes(n), n);
  await trainSteps(session, encRows, 1);
  const get = (n: string) => session.trainable.find((p) => p.name === n)!.data;
  assert.notDeepEqual(Array.from(get('ln.weight')), Array.from(get('layers.0.ln1.weight')), 'each copy got its own update');
  await session.release();
});

test('a NaN loss stops with a clear error', async () => {
  const session = await TrainingSession.create(mlp, rowsToFeeds(mlpRows.slice(0, 8)), { task: 'classification', optimizer: { name: 'sgd', lr: 0.1 } });
  const feeds = rowsToFeeds(mlpRows.slice(0, 8));
  (feeds.features.data as Float32Array)[0] = NaN;
  await assert.rejects(session.trainStep(feeds), /loss is NaN at step 1/);
  await session.release();
});

test('bad model files get errors that name the file', async () => {
  const dir = tmp();
  const truncated = path.join(dir, 'truncated.onnx');
  fs.writeFileSync(truncated, fs.readFileSync(mlp).subarray(0, 5000));
  assert.throws(() => loadModel(truncated), /truncated\.onnx: not a valid ONNX model/);
  assert.throws(() => loadModel(path.join(dir, 'missing.onnx')), /cannot read model .*missing\.onnx: ENOENT/);
  fs.copyFileSync(path.join(FIXTURES, 'encoder.external.onnx'), path.join(dir, 'enc.onnx'));
  assert.throws(() => loadModel(path.join(dir, 'enc.onnx')), /external data file 'encoder\.external\.onnx\.data' .* is missing/);
  fs.writeFileSync(path.join(dir, 'encoder.external.onnx.data'), fs.readFileSync(path.join(FIXTURES, 'encoder.external.onnx.data')).subarray(0, 1000));
  assert.throws(() => loadModel(path.join(dir, 'enc.onnx')), /truncated or inconsistent/);
});

test('renamed, transposed weights get the PyTorch path of their module', async () => {
  const { manifest } = await import('../helpers/fixtures.js');
  const { parameterInfos } = await import('../../src/core/module-tree.js');
  const { prepareModel } = await import('../../src/core/training-graph.js');
  for (const m of manifest() as unknown as { model: string; exports: { ts: { paramMap: Record<string, string> } } }[]) {
    const params = parameterInfos(prepareModel(loadModel(path.join(FIXTURES, `${m.model}.ts.onnx`))).graph!);
    for (const [torchName, onnxName] of Object.entries(m.exports.ts.paramMap)) {
      const p = params.find((x) => x.name === onnxName);
      assert.ok(p, `${m.model}: ${onnxName} is a parameter`);
      if (onnxName !== torchName) assert.equal(p.path, torchName, `${m.model}: path of ${onnxName}`);
    }
  }
});
