import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ort from 'onnxruntime-node';
import { inspectModel } from '../../src/cli/inspect.js';
import { modelInputs, runExperiment } from '../../src/core/experiment/run.js';
import { parseExperiment } from '../../src/core/experiment/spec.js';
import { initialStateInputs } from '../../src/core/initial-states.js';
import { loadModel } from '../../src/core/onnx/model.js';
import { FIXTURES, readRows, rowsToFeeds } from '../helpers/fixtures.js';

const DIR = path.join(FIXTURES, 'producers');
const LSTM = 'lstm-bidirectional-text.op17';

test('PyTorch LSTM export: h0/c0 (sliced per layer) are initial-state inputs, not data columns; inspect lists no missing rule', () => {
  const model = loadModel(path.join(DIR, `${LSTM}.onnx`));
  assert.deepEqual([...initialStateInputs(model.graph!)], [['h0', [4, 'batch', 5]], ['c0', [4, 'batch', 5]]]);
  assert.deepEqual(modelInputs(model).map((i) => i.name), ['input_ids']);
  assert.deepEqual(inspectModel(path.join(DIR, `${LSTM}.onnx`)).unsupportedOps, []);
  assert.deepEqual(initialStateInputs(loadModel(path.join(DIR, 'gru-text.op17.onnx')).graph!).size, 0);
});

test('a run on the LSTM classifier from pre-tokenized JSONL without state columns: trains, and the export keeps the LSTM nodes', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-lstm-'));
  fs.copyFileSync(path.join(DIR, `${LSTM}.onnx`), path.join(dir, 'model.onnx'));
  fs.copyFileSync(path.join(DIR, `${LSTM}.train.jsonl`), path.join(dir, 'train.jsonl'));
  const spec = parseExperiment({
    model: 'model.onnx', task: 'classification', data: { train: 'train.jsonl' }, batchSize: 4, steps: 3, shuffle: false, threads: 1,
    optimizer: { name: 'sgd', lr: 0.5 }, output: 'runs',
  });
  const summary = await runExperiment(spec, { baseDir: dir });
  assert.equal(summary.status, 'completed');
  const exported = loadModel(summary.modelPath!);
  const ops = exported.graph!.node.map((n) => n.opType);
  assert.equal(ops.filter((o) => o === 'LSTM').length, 2);
  assert.ok(!ops.includes('Scan'), 'the export is the original graph, not the training graph');
  // It runs in a plain session, its weights changed by training.
  const original = loadModel(path.join(DIR, `${LSTM}.onnx`));
  const w = (m: typeof original) => m.graph!.initializer.find((t) => t.name === original.graph!.node.find((n) => n.opType === 'LSTM')!.input[1])!;
  assert.notDeepEqual(w(exported).rawData, w(original).rawData);
  const rows = readRows(path.join(dir, 'train.jsonl')).slice(0, 4);
  const zeros = new ort.Tensor('float32', new Float32Array(4 * 4 * 5), [4, 4, 5]);
  const s = await ort.InferenceSession.create(summary.modelPath!);
  try {
    const out = await s.run({ input_ids: rowsToFeeds(rows).input_ids, h0: zeros, c0: zeros });
    assert.deepEqual(out.out.dims, [4, 3]);
    assert.ok((out.out.data as Float32Array).every(Number.isFinite));
  } finally {
    await s.release();
  }
});
