import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW, Sgd, createOptimizer, type OptimizerSpec } from '../../src/core/optim/index.js';

test('createOptimizer builds the named optimizer', () => {
  assert.ok(createOptimizer({ name: 'sgd', lr: 0.1, momentum: 0.9 }) instanceof Sgd);
  const adamw = createOptimizer({ name: 'adamw', lr: 1e-3, schedule: { type: 'linear', warmupSteps: 4 }, maxGradNorm: 1 });
  assert.ok(adamw instanceof AdamW);
  assert.equal(adamw.name, 'adamw');
});

test('createOptimizer options reach the optimizer', () => {
  const p = { name: 'w', data: Float32Array.from([1]), grad: Float32Array.from([0.5]), group: 0 };
  createOptimizer({ name: 'sgd', lr: 0.1, weightDecay: 0.1 }).step([p], [{ lrScale: 1 }], 0.1);
  assert.equal(p.data[0], Math.fround(1 - 0.1 * 0.6));
});

test('createOptimizer errors name the bad field', () => {
  const cases: [unknown, RegExp][] = [
    [{ name: 'sgd', lr: -1 }, /^Error: optimizer\.lr must be a positive number, got -1$/],
    [{ name: 'adam', lr: 1 }, /optimizer\.name must be "sgd" or "adamw", got "adam"/],
    [{ name: 'sgd' }, /optimizer\.lr must be a positive number, got undefined/],
    [{ name: 'sgd', lr: 0.1, momentum: -0.5 }, /optimizer\.momentum must be a non-negative number, got -0.5/],
    [{ name: 'sgd', lr: 0.1, weightDecay: NaN }, /optimizer\.weightDecay must be a non-negative number, got NaN/],
    [{ name: 'sgd', lr: 0.1, nesterov: true }, /optimizer\.nesterov needs momentum > 0 and dampening 0/],
    [{ name: 'sgd', lr: 0.1, betas: [0.9, 0.99] }, /optimizer\.betas is not an option of sgd/],
    [{ name: 'adamw', lr: 0.1, weight_decay: 0.1 }, /optimizer\.weight_decay is not an option of adamw/],
    [{ name: 'adamw', lr: 0.1, betas: [0.9, 1] }, /optimizer\.betas must be two numbers in \[0, 1\), got \[0.9,1\]/],
    [{ name: 'adamw', lr: 0.1, eps: -1 }, /optimizer\.eps must be a non-negative number, got -1/],
    [{ name: 'adamw', lr: 0.1, maxGradNorm: 0 }, /optimizer\.maxGradNorm must be a positive number, got 0/],
    [{ name: 'adamw', lr: 0.1, schedule: { type: 'step' } }, /optimizer\.schedule\.type must be one of constant, linear, cosine, got "step"/],
    [{ name: 'adamw', lr: 0.1, schedule: { type: 'linear', warmupSteps: 1.5 } }, /optimizer\.schedule\.warmupSteps must be a non-negative integer, got 1.5/],
    [{ name: 'adamw', lr: 0.1, schedule: { type: 'linear', numCycles: 1 } }, /optimizer\.schedule\.numCycles is not an option of the linear schedule/],
  ];
  for (const [spec, message] of cases) {
    assert.throws(() => createOptimizer(spec as OptimizerSpec), message, JSON.stringify(spec));
  }
});
