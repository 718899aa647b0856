import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { lrAt } from '../../src/core/optim/schedule.js';
import type { OptimizerSpec } from '../../src/core/optim/types.js';

function lrs(spec: OptimizerSpec, total: number): number[] {
  return Array.from({ length: total }, (_, s) => lrAt(spec, s, total));
}

function assertClose(actual: number[], expected: number[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) < 1e-15, `step ${i}: ${a} vs ${expected[i]}`));
}

test('linear with warmup matches Hugging Face get_linear_schedule_with_warmup', () => {
  const spec: OptimizerSpec = { name: 'adamw', lr: 0.001, schedule: { type: 'linear', warmupSteps: 4 } };
  assertClose(lrs(spec, 12), [0, 0.00025, 0.0005, 0.00075, 0.001, 0.000875, 0.00075, 0.000625, 0.0005, 0.000375, 0.00025, 0.000125]);
  assert.equal(lrAt(spec, 12, 12), 0);
  assert.equal(lrAt(spec, 20, 12), 0);
});

test('schedules match the lrs recorded in the PyTorch fixtures', () => {
  const manifest = JSON.parse(readFileSync(new URL('../../../test/fixtures/manifest.json', import.meta.url), 'utf8'));
  let checked = 0;
  for (const model of manifest.models) {
    for (const scenario of model.scenarios) {
      assertClose(lrs(scenario.optimizer, model.steps), scenario.lrs);
      checked++;
    }
  }
  assert.ok(checked > 0);
});

test('constant, with and without warmup', () => {
  assertClose(lrs({ name: 'sgd', lr: 0.1 }, 3), [0.1, 0.1, 0.1]);
  assertClose(lrs({ name: 'sgd', lr: 0.1, schedule: { type: 'constant', warmupSteps: 2 } }, 4), [0, 0.05, 0.1, 0.1]);
});

test('cosine with warmup, default half cycle and a full cycle', () => {
  const spec: OptimizerSpec = { name: 'adamw', lr: 1, schedule: { type: 'cosine', warmupSteps: 2 } };
  // After warmup, progress = (s-2)/8 and factor = (1 + cos(pi*progress))/2.
  const expected = [0, 0.5, 1, (1 + Math.SQRT1_2) / 2, 0.5, (1 - Math.SQRT1_2) / 2, 0];
  assertClose([0, 1, 2, 4, 6, 8, 10].map((s) => lrAt(spec, s, 10)), expected);
  const full: OptimizerSpec = { name: 'adamw', lr: 1, schedule: { type: 'cosine', numCycles: 1 } };
  assertClose([0, 2, 4, 6, 8].map((s) => lrAt(full, s, 8)), [1, 0.5, 0, 0.5, 1]);
});

test('bad steps are rejected', () => {
  assert.throws(() => lrAt({ name: 'sgd', lr: 1 }, -1, 10), /step must be a non-negative integer, got -1/);
  assert.throws(() => lrAt({ name: 'sgd', lr: 1 }, 0, 1.5), /totalSteps must be a non-negative integer, got 1.5/);
});
