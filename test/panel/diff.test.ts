// Checkpoint diffing: relative change per module (frozen modules at zero), top parameters, eval metrics side by
// side, flipped predictions, and the missing-predictions case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { changeStats, diffCheckpoints, moduleChanges } from '../../src/extension/panel/checkpoint-diff.js';
import { flippedPredictions, PREDICTIONS_FILE, readPredictions, type SplitPredictions } from '../../src/extension/panel/predictions.js';
import { digitsRun } from './fixtures.js';

test('‖ΔW‖/‖W‖ per parameter and per module, over the module’s parameters together', () => {
  const a = new Map([['m.w', Float32Array.from([3, 4])], ['m.b', Float32Array.from([0])], ['n.w', Float32Array.from([1, 1])]]);
  const b = new Map([['m.w', Float32Array.from([3, 4])], ['m.b', Float32Array.from([5])], ['n.w', Float32Array.from([1, 1])]]);
  const stats = changeStats(a, b);
  const { modules, topParams } = moduleChanges(stats, []);
  assert.deepEqual(modules.map((m) => [m.path, m.rel, m.frozen]), [['m', 1, false], ['n', 0, false]]); // √25 / √25
  assert.equal(topParams[0].name, 'm.b');
  assert.equal(topParams[0].rel, Infinity); // from zero
  assert.throws(() => changeStats(a, new Map([['m.w', new Float32Array(3)]])), /different models: 'm.w' has 2 values in one and 3/);
});

const preds = (shift: number): SplitPredictions[] => [{ split: 'validation', rows: Array.from({ length: 10 }, (_, i) => ({ index: i, label: i % 3, prediction: (i + (i < shift ? 1 : 0)) % 3, confidence: 0.9, example: `text ${i}` })) }];

test('flipped predictions: matched by split and index, with label names, fixed and broken counted', () => {
  const f = flippedPredictions(preds(4), preds(0), ['neg', 'neu', 'pos']);
  assert.equal(f.compared, 10);
  assert.equal(f.total, 4);
  assert.equal(f.fixed, 4);
  assert.equal(f.broken, 0);
  assert.deepEqual(f.flipped[0], { split: 'validation', index: 0, label: 'neg', example: 'text 0', a: { prediction: 1, confidence: 0.9, name: 'neu' }, b: { prediction: 0, confidence: 0.9, name: 'neg' } });
  const back = flippedPredictions(preds(0), preds(4));
  assert.equal(back.broken, 4);
  assert.equal(back.flipped[0].a.name, '0'); // no label names: the ids
  assert.equal(flippedPredictions(preds(4), [{ split: 'test', rows: [] }]).compared, 0);
});

test('two checkpoints of a run with frozen features: frozen modules at zero, classifier.0 moved, predictions flipped', async () => {
  const run = await digitsRun({ predictions: { 50: preds(4), 100: preds(0) } });
  const d = await diffCheckpoints(run.checkpoints[0], run.checkpoints[1], run.params);
  assert.deepEqual(d.modules.map((m) => [m.path, Number(m.rel.toFixed(6)), m.frozen]), [
    ['features.0', 0, true], ['features.2', 0, true], ['classifier.0', Number((0.5 / 1.5).toFixed(6)), false], ['classifier.2', 0, false],
  ]);
  assert.equal(d.a.step, 50);
  assert.equal(d.b.label, 'digits-20260101-000000 @ step 100');
  assert.deepEqual(d.metrics.find((m) => m.split === 'validation'), { split: 'validation', a: { loss: 1 / 50, accuracy: 0.5 }, b: { loss: 1 / 100, accuracy: 1 } });
  assert.deepEqual(d.predictions.missing, []);
  assert.equal(d.predictions.flipped.length, 4);
  assert.equal(d.predictions.flipped[0].b.name, '0');

  fs.rmSync(path.join(run.checkpoints[0], PREDICTIONS_FILE));
  const none = await diffCheckpoints(run.checkpoints[0], run.checkpoints[1], run.params);
  assert.deepEqual(none.predictions.missing, ['digits-20260101-000000 @ step 50']);
  assert.equal(none.predictions.flipped.length, 0);

  fs.writeFileSync(path.join(run.checkpoints[1], PREDICTIONS_FILE), JSON.stringify([{ split: 'v', rows: [{ index: 'x' }] }]));
  await assert.rejects(readPredictions(run.checkpoints[1]), /eval-predictions\.json: predictions\[0\]\.rows\[0\]\.index: expected an integer/);
  await assert.rejects(diffCheckpoints(path.join(run.runDir, 'nope'), run.checkpoints[1]), /not a checkpoint directory|missing model\.safetensors/);
});
