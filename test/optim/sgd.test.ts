import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sgd } from '../../src/core/optim/sgd.js';
import type { ParamGroup, TrainParam } from '../../src/core/optim/types.js';
import { f, GRADS, param, run } from './helpers.js';


function assertClose(actual: ArrayLike<number>, expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    const tol = 1e-6 * Math.max(1, Math.abs(expected[i]));
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/** torch.optim.SGD written out for one scalar: returns the param after each step. */
function sgdReference(p0: number, grads: number[], o: { lr: number; momentum: number; dampening: number; wd: number; nesterov: boolean }): number[] {
  let p = f(p0);
  let buf: number | undefined;
  const out: number[] = [];
  for (const grad of grads) {
    let g = grad + o.wd * p;
    if (o.momentum !== 0) {
      buf = buf === undefined ? f(g) : f(o.momentum * buf + (1 - o.dampening) * g);
      g = o.nesterov ? g + o.momentum * buf : buf;
    }
    p = f(p - o.lr * g);
    out.push(p);
  }
  return out;
}

function expectAfter3(name: string, init: number[], o: Parameters<typeof sgdReference>[2]): number[] {
  return init.map((p0, i) => sgdReference(p0, GRADS[name].map((g) => g[i]), o)[2]);
}

test('plain SGD: one hand-worked step, then 3 steps against the formula', () => {
  const w = param('w', [1, 2, -1]);
  new Sgd().step([{ ...w, grad: Float32Array.from([0.5, -0.25, 1]) }], [{ lrScale: 1 }], 0.1);
  assertClose(w.data, [0.95, 2.025, -1.1], 'w after one step');

  const params = [param('w', [1, 2, -1]), param('b', [0.5, -0.5])];
  run(new Sgd(), params, [{ lrScale: 1 }], 0.1);
  const o = { lr: 0.1, momentum: 0, dampening: 0, wd: 0, nesterov: false };
  assertClose(params[0].data, expectAfter3('w', [1, 2, -1], o), 'w');
  assertClose(params[1].data, expectAfter3('b', [0.5, -0.5], o), 'b');
});

test('SGD momentum: buffer starts as the first gradient, then b = m*b + (1-d)*g', () => {
  // By hand, scalar p=1, wd=0.1, lr=0.1, momentum 0.9, dampening 0.5, grads 0.5, 0.1:
  // step 1: g = 0.5 + 0.1*1 = 0.6, b = 0.6, p = 1 - 0.06 = 0.94
  // step 2: g = 0.1 + 0.094 = 0.194, b = 0.54 + 0.097 = 0.637, p = 0.94 - 0.0637 = 0.8763
  const p = param('w', [1]);
  const opt = new Sgd({ momentum: 0.9, dampening: 0.5, weightDecay: 0.1 });
  for (const g of [0.5, 0.1]) {
    p.grad[0] = g;
    opt.step([p], [{ lrScale: 1 }], 0.1);
  }
  assertClose(p.data, [0.8763], 'p');
  assertClose(opt.stateTensors()['momentum_buffer.w'], [0.637], 'buffer');

  const params = [param('w', [1, 2, -1]), param('b', [0.5, -0.5])];
  run(new Sgd({ momentum: 0.9, dampening: 0.5, weightDecay: 0.1 }), params, [{ lrScale: 1 }], 0.1);
  const o = { lr: 0.1, momentum: 0.9, dampening: 0.5, wd: 0.1, nesterov: false };
  assertClose(params[0].data, expectAfter3('w', [1, 2, -1], o), 'w');
  assertClose(params[1].data, expectAfter3('b', [0.5, -0.5], o), 'b');
});

test('SGD nesterov', () => {
  const params = [param('w', [1, 2, -1]), param('b', [0.5, -0.5])];
  run(new Sgd({ momentum: 0.8, nesterov: true, weightDecay: 0.01 }), params, [{ lrScale: 1 }], 0.05);
  const o = { lr: 0.05, momentum: 0.8, dampening: 0, wd: 0.01, nesterov: true };
  assertClose(params[0].data, expectAfter3('w', [1, 2, -1], o), 'w');
  assertClose(params[1].data, expectAfter3('b', [0.5, -0.5], o), 'b');
});

test('SGD per-group lr scale and weight decay override', () => {
  const params = [param('w', [1, 2, -1], 0), param('b', [0.5, -0.5], 1)];
  const groups = [{ lrScale: 1 }, { lrScale: 0.5, weightDecay: 0 }];
  run(new Sgd({ momentum: 0.9, weightDecay: 0.1 }), params, groups, 0.1);
  const base = { momentum: 0.9, dampening: 0, nesterov: false };
  assertClose(params[0].data, expectAfter3('w', [1, 2, -1], { ...base, lr: 0.1, wd: 0.1 }), 'w');
  assertClose(params[1].data, expectAfter3('b', [0.5, -0.5], { ...base, lr: 0.05, wd: 0 }), 'b');
});

test('SGD state save/load gives the identical next step', () => {
  const a = [param('w', [1, 2, -1]), param('b', [0.5, -0.5])];
  const optA = new Sgd({ momentum: 0.9, weightDecay: 0.1 });
  run(optA, a, [{ lrScale: 1 }], 0.1, 2);

  const b = a.map((p) => param(p.name, Array.from(p.data)));
  const optB = new Sgd({ momentum: 0.9, weightDecay: 0.1 });
  optB.loadState(structuredClone(optA.stateTensors()), optA.stateScalars());
  for (const [opt, params] of [[optA, a], [optB, b]] as const) {
    for (const p of params) p.grad.set(GRADS[p.name][2]);
    opt.step(params, [{ lrScale: 1 }], 0.1);
  }
  for (let i = 0; i < a.length; i++) assert.deepEqual(b[i].data, a[i].data);
  assert.deepEqual(optB.stateTensors(), optA.stateTensors());
});

test('SGD rejects unknown state and mismatched sizes', () => {
  assert.throws(() => new Sgd({ momentum: 0.9 }).loadState({ 'exp_avg.w': new Float32Array(3) }, {}), /unexpected tensor "exp_avg.w"/);
  const opt = new Sgd({ momentum: 0.9 });
  opt.loadState({ 'momentum_buffer.w': new Float32Array(2) }, {});
  assert.throws(() => opt.step([param('w', [1, 2, 3])], [{ lrScale: 1 }], 0.1), /momentum_buffer.w has 2 values/);
  assert.throws(() => opt.step([param('x', [1], 3)], [{ lrScale: 1 }], 0.1), /param x has group 3/);
});
