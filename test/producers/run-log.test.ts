import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runExperiment } from '../../src/core/experiment/run.js';
import { parseExperiment } from '../../src/core/experiment/spec.js';
import { loadModel } from '../../src/core/onnx/model.js';
import { FIXTURES } from '../helpers/fixtures.js';

test('a run on an opset-10 LogSoftmax classifier: the log says what loading changed and which loss; labels.json names every output class', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-prodrun-'));
  const src = path.join(FIXTURES, 'producers');
  fs.copyFileSync(path.join(src, 'mlp-logsoftmax.op10.onnx'), path.join(dir, 'model.onnx'));
  // Only classes 0 and 1 occur in the data; the model has 3 outputs.
  const rows = fs.readFileSync(path.join(src, 'mlp-logsoftmax.op10.train.jsonl'), 'utf8').split('\n').filter((l) => l && JSON.parse(l).label < 2);
  fs.writeFileSync(path.join(dir, 'train.jsonl'), rows.join('\n') + '\n');
  const logs: string[] = [];
  const spec = parseExperiment({
    model: 'model.onnx', task: 'classification', data: { train: 'train.jsonl' }, batchSize: 4, steps: 2, shuffle: false, threads: 1,
    optimizer: { name: 'sgd', lr: 0.1 }, output: 'runs',
  });
  const summary = await runExperiment(spec, { baseDir: dir, onEvent: (e) => { if (e.type === 'log') logs.push(e.message); } });
  assert.equal(summary.status, 'completed');
  assert.ok(logs.some((l) => /^opset 10 upgraded to 13 on load \(rewritten: .*LogSoftmax ×1/.test(l)), logs.join('\n'));
  assert.ok(logs.some((l) => /^loss: output 'out' holds log-probabilities \(LogSoftmax node .*cross-entropy on its input logits/.test(l)), logs.join('\n'));
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(summary.runDir, 'labels.json'), 'utf8')), ['0', '1', '2']);
  const exported = loadModel(summary.modelPath!);
  assert.deepEqual(JSON.parse(exported.metadataProps.find((p) => p.key === 'labels')!.value), ['0', '1', '2']);
});
