import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { create } from '@bufbuild/protobuf';
import { StringStringEntryProtoSchema, type ModelProto } from 'onnx-buf';
import { runExperiment } from '../../src/core/experiment/run.js';
import { parseExperiment } from '../../src/core/experiment/spec.js';
import { readMetrics } from '../../src/core/experiment/run-dir.js';
import { modelLabelNames } from '../../src/core/model-labels.js';
import { loadModel, saveModel } from '../../src/core/onnx/model.js';
import { FIXTURES } from '../helpers/fixtures.js';

const withMetadata = (props: Record<string, string>): ModelProto => ({
  metadataProps: Object.entries(props).map(([key, value]) => create(StringStringEntryProtoSchema, { key, value })),
}) as ModelProto;

test('model class names are read from the common metadata forms', () => {
  const names = ['cat', 'dog', 'bird'];
  assert.deepEqual(modelLabelNames(withMetadata({ labels: JSON.stringify(names) })), names); // our own export
  assert.deepEqual(modelLabelNames(withMetadata({ id2label: '{"1": "dog", "0": "cat", "2": "bird"}' })), names); // HF config form
  assert.deepEqual(modelLabelNames(withMetadata({ label2id: '{"dog": 1, "bird": 2, "cat": 0}' })), names);
  assert.deepEqual(modelLabelNames(withMetadata({ names: "{0: 'cat', 1: 'dog', 2: 'bird'}" })), names); // Ultralytics
  assert.deepEqual(modelLabelNames(withMetadata({ classes: 'cat, dog, bird' })), names);
  assert.deepEqual(modelLabelNames(withMetadata({ class_names: 'cat\ndog\nbird\n' })), names);
  assert.equal(modelLabelNames(withMetadata({})), undefined);
  assert.equal(modelLabelNames(withMetadata({ id2label: '{"0": "cat", "2": "bird"}' })), undefined, 'an index without a name');
  assert.equal(modelLabelNames(withMetadata({ labels: 'not a list' })), undefined);
  assert.equal(modelLabelNames(withMetadata({ author: '["x", "y"]' })), undefined, 'other keys are not names');
});

/** A run of the opset-10 3-class MLP fixture whose rows' integer labels become `relabel(label)`; the model carries `metadata`. */
async function run(relabel: (label: number) => unknown, metadata: Record<string, string>, logs: string[] = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-labels-'));
  const src = path.join(FIXTURES, 'producers');
  const model = loadModel(path.join(src, 'mlp-logsoftmax.op10.onnx'));
  for (const [key, value] of Object.entries(metadata)) model.metadataProps.push(create(StringStringEntryProtoSchema, { key, value }));
  await saveModel(model, path.join(dir, 'model.onnx'));
  const rows = fs.readFileSync(path.join(src, 'mlp-logsoftmax.op10.train.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  fs.writeFileSync(path.join(dir, 'train.jsonl'), rows.map((r) => JSON.stringify({ ...r, label: relabel(r.label) })).join('\n') + '\n');
  const spec = parseExperiment({
    model: 'model.onnx', task: 'classification', data: { train: 'train.jsonl' }, batchSize: 4, steps: 3, shuffle: false, threads: 1,
    optimizer: { name: 'sgd', lr: 0.1 }, output: 'runs',
  });
  const summary = await runExperiment(spec, { baseDir: dir, onEvent: (e) => { if (e.type === 'log') logs.push(e.message); } });
  const losses = readMetrics(summary.runDir).filter((m) => m.split === undefined).map((m) => m.loss);
  const labels = JSON.parse(fs.readFileSync(path.join(summary.runDir, 'labels.json'), 'utf8'));
  return { summary, losses, labels };
}

test('string labels map through the model\'s class names: the same run as with the output indices they name', async () => {
  const names = ['pos', 'neg', 'mid']; // not sorted: sorting the data's labels would give other indices
  const logs: string[] = [];
  const byName = await run((l) => names[l], { id2label: JSON.stringify(Object.fromEntries(names.map((n, i) => [i, n]))) }, logs);
  const byIndex = await run((l) => l, {});
  assert.deepEqual(byName.labels, names);
  assert.deepEqual(byIndex.labels, ['0', '1', '2']);
  assert.equal(byName.losses.length, 3);
  assert.deepEqual(byName.losses, byIndex.losses);
  assert.ok(logs.some((l) => /^labels mapped onto the model's class names \(3: pos, neg, mid\)/.test(l)), logs.join('\n'));
  // The export carries the names, so a second fine-tune of it maps the same labels the same way.
  const exported = loadModel(byName.summary.modelPath!);
  assert.deepEqual(modelLabelNames(exported), names);
  // Integer labels stay output indices when the model has names, and labels.json names every output.
  const ints = await run((l) => (l === 2 ? 1 : l), { labels: JSON.stringify(names) });
  assert.deepEqual(ints.labels, names);
});

test('without class names in the model, string labels are sorted into indices (a new head)', async () => {
  const names = ['pos', 'neg', 'mid'];
  const sorted = await run((l) => names[l], {});
  assert.deepEqual(sorted.labels, ['mid', 'neg', 'pos']);
});

test('labels that are not the model\'s class names are a clear error listing both', async () => {
  await assert.rejects(
    run((l) => ['pos', 'neg', 'other'][l], { labels: JSON.stringify(['pos', 'neg', 'mid']) }),
    /train\.jsonl: the labels \(neg, other, pos\) are not the model's class names \(pos, neg, mid\) nor output indices 0–2/,
  );
});
