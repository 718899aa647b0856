import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listCheckpoints } from '../../src/core/checkpoints/checkpoint.js';
import { openDataset } from '../../src/core/data/index.js';
import { predictClass, PREDICTIONS_FILE, type SplitPredictions } from '../../src/core/experiment/predictions.js';
import { runExperiment } from '../../src/core/experiment/run.js';
import { readMetrics } from '../../src/core/experiment/run-dir.js';
import { parseExperiment } from '../../src/core/experiment/spec.js';
import { FIXTURES, readRows } from '../helpers/fixtures.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ft-preds-'));
const readPredictions = (dir: string): SplitPredictions[] => JSON.parse(fs.readFileSync(path.join(dir, PREDICTIONS_FILE), 'utf8'));

test('each checkpoint holds the eval predictions of its step; a checkpoint between evals runs one eval, never two', async () => {
  const spec = parseExperiment({
    model: 'encoder.ts.onnx', task: 'classification', data: { train: 'encoder.train.jsonl', eval: 'encoder.eval.jsonl' },
    batchSize: 8, steps: 12, shuffle: false, threads: 1, evalEvery: 6, checkpointEvery: 4,
    optimizer: { name: 'adamw', lr: 3e-3 }, output: tmp(),
  });
  const { runDir } = await runExperiment(spec, { baseDir: FIXTURES });
  const evals = readMetrics(runDir).filter((r) => r.split === 'validation');
  assert.deepEqual(evals.map((r) => r.step), [0, 4, 6, 8, 12]);
  const labels = readRows(path.join(FIXTURES, 'encoder.eval.jsonl')).map((r) => r.label);
  const checkpoints = await listCheckpoints(runDir);
  assert.deepEqual(checkpoints.map((c) => c.step), [4, 8, 12]);
  for (const c of checkpoints) {
    const [validation, ...others] = readPredictions(c.dir);
    assert.equal(others.length, 0);
    assert.equal(validation.split, 'validation');
    assert.deepEqual(validation.rows.map((r) => r.index), labels.map((_, i) => i));
    assert.deepEqual(validation.rows.map((r) => r.label), labels);
    for (const r of validation.rows) {
      assert.ok(Number.isInteger(r.prediction) && r.prediction >= 0 && r.prediction < 3);
      assert.ok(r.confidence > 1 / 3 - 1e-12 && r.confidence <= 1, `confidence ${r.confidence}`);
      assert.equal(r.example, undefined); // pre-tokenized rows have no text to show
    }
    const accuracy = validation.rows.filter((r) => r.prediction === r.label).length / validation.rows.length;
    assert.equal(accuracy, evals.find((e) => e.step === c.step)!.accuracy);
  }
  // different steps, different predictions (the file is not one eval copied around)
  const confidences = await Promise.all(checkpoints.map(async (c) => readPredictions(c.dir)[0].rows.map((r) => r.confidence).join()));
  assert.equal(new Set(confidences).size, 3);
});

test('image runs name each eval example by its file, for every eval split (retention too)', async () => {
  const base = path.join(ROOT, 'examples/digits');
  const spec = parseExperiment({
    ...JSON.parse(fs.readFileSync(path.join(base, 'finetune.experiment.json'), 'utf8')),
    epochs: undefined, steps: 2, batchSize: 16, evalEvery: undefined, output: tmp(),
  });
  const { runDir } = await runExperiment(spec, { baseDir: base });
  const [last] = (await listCheckpoints(runDir)).slice(-1);
  const splits = readPredictions(last.dir);
  assert.deepEqual(splits.map((s) => s.split), ['validation', 'retention (digits 0-4)']);
  for (const s of splits) {
    assert.ok(s.rows.length > 200);
    for (const r of s.rows) {
      assert.ok(r.example && fs.existsSync(r.example), `${s.split} row ${r.index}: ${r.example}`);
      assert.equal(path.basename(path.dirname(r.example)), String(r.label)); // label/NNN.png
    }
  }
});

test('text rows carry a snippet of their text, at most 200 characters', async () => {
  const dir = tmp();
  const long = 'the cat sat on the mat '.repeat(20);
  fs.writeFileSync(path.join(dir, 'd.csv'), `text,label\n"${long}",a\nshort one,b\n`);
  const dataset = await openDataset({ train: 'd.csv', tokenizer: path.join(FIXTURES, 'data/wordpiece/tokenizer.json') }, {
    baseDir: dir, task: 'classification', inputs: [{ name: 'input_ids', type: 'int64', dims: ['batch', 8] }],
  });
  for await (const batch of dataset.splits.train.batches(2, { shuffle: false, seed: 0, epoch: 0 })) {
    assert.equal(batch.examples![0]!.length, 200);
    assert.ok(long.startsWith(batch.examples![0]!.slice(0, 199)) && batch.examples![0]!.endsWith('…'));
    assert.equal(batch.examples![1], 'short one');
  }
});

test('predictClass: argmax with softmax probability; a single-output binary classifier thresholds its probability or logit', () => {
  const multi = predictClass([0, 2, 1, 5, 5, 0], 1, 3);
  assert.equal(multi.index, 0); // first of the tied maxima
  assert.ok(Math.abs(multi.probability - Math.exp(5) / (2 * Math.exp(5) + 1)) < 1e-12);
  assert.deepEqual(predictClass([0.8, 0.3], 0, 1, 0.5), { index: 1, probability: 0.8 });
  assert.ok(Math.abs(predictClass([0.8, 0.3], 1, 1, 0.5).probability - 0.7) < 1e-12);
  const logit = predictClass([-2], 0, 1, 0);
  assert.equal(logit.index, 0);
  assert.ok(Math.abs(logit.probability - 1 / (1 + Math.exp(-2))) < 1e-12);
  assert.equal(predictClass([0.1], 0, 1, 0).index, 1);
});
