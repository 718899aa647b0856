import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW } from '../../src/core/optim/index.js';
import { GRADS, param } from './helpers.js';

const groups = [{ lrScale: 1 }];

// Gradual unfreezing: a param that joins at the optimizer's 3rd step is updated as torch does (its own state['step']
// from 1), not with the optimizer's bias correction of step 3.
test('AdamW: a param that joins later starts its own step count, and checkpoints keep it', () => {
  const opt = new AdamW({ weightDecay: 0.01 });
  const w = param('w', [1, 2, 3]);
  const late = param('b', [0.5, -0.5]);
  for (let s = 0; s < 2; s++) {
    w.grad.set(GRADS.w[s]);
    opt.step([w], groups, 0.1);
  }
  late.grad.set(GRADS.b[0]);
  w.grad.set(GRADS.w[2]);
  opt.step([w, late], groups, 0.1);
  assert.deepEqual(opt.stateScalars(), { step: 3, 'step.b': 1 });

  const fresh = param('b', [0.5, -0.5]);
  fresh.grad.set(GRADS.b[0]);
  new AdamW({ weightDecay: 0.01 }).step([fresh], groups, 0.1);
  assert.deepEqual(late.data, fresh.data); // the same update as a fresh optimizer's first one

  // save, load, one more step: identical to going on
  const copy = new AdamW({ weightDecay: 0.01 });
  copy.loadState(structuredClone(opt.stateTensors()), opt.stateScalars());
  const [w2, b2] = [param('w', [...w.data]), param('b', [...late.data])];
  for (const [o, ps] of [[opt, [w, late]], [copy, [w2, b2]]] as const) {
    ps[0].grad.set(GRADS.w[1]);
    ps[1].grad.set(GRADS.b[1]);
    o.step([...ps], groups, 0.05);
  }
  assert.deepEqual([w2.data, b2.data], [w.data, late.data]);
  assert.deepEqual(copy.stateScalars(), { step: 4, 'step.b': 2 });

  assert.throws(() => copy.loadState(opt.stateTensors(), { step: 4, 'step.zz': 1 }), /unexpected scalar "step\.zz"/);
  assert.throws(() => copy.loadState(opt.stateTensors(), { step: 4, 'step.b': 1.5 }), /"step\.b" must be a non-negative integer/);
});
