import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clipGradNorm, gradNorm } from '../../src/core/optim/clip.js';

const grads = (): { grad: Float32Array }[] => [{ grad: Float32Array.from([3, 4]) }, { grad: Float32Array.from([12]) }];

test('gradNorm is the global L2 norm over all grads', () => {
  assert.equal(gradNorm(grads()), 13);
  assert.equal(gradNorm([]), 0);
});

test('clipGradNorm scales by maxNorm / (norm + 1e-6) and returns the norm before clipping', () => {
  const g = grads();
  assert.equal(clipGradNorm(g, 6.5), 13);
  const coef = Math.fround(6.5 / (13 + 1e-6));
  assert.deepEqual(g.map((p) => Array.from(p.grad)), [[Math.fround(3 * coef), Math.fround(4 * coef)], [Math.fround(12 * coef)]]);
  assert.ok(Math.abs(gradNorm(g) - 6.5) < 1e-5);
});

test('clipGradNorm leaves grads alone when the norm is within maxNorm', () => {
  for (const maxNorm of [14, 100]) {
    const g = grads();
    assert.equal(clipGradNorm(g, maxNorm), 13);
    assert.deepEqual(g, grads());
  }
  // As in torch, a norm equal to maxNorm still scales by maxNorm / (norm + 1e-6).
  const g = grads();
  clipGradNorm(g, 13);
  assert.ok(g[1].grad[0] < 12);
  assert.throws(() => clipGradNorm(grads(), 0), /maxGradNorm must be a positive number, got 0/);
});
