import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW } from '../../src/core/optim/adamw.js';
import type { ParamGroup, TrainParam } from '../../src/core/optim/types.js';
import { f, GRADS, param, run } from './helpers.js';


function assertClose(actual: ArrayLike<number>, expected: number[], what: string, rel = 1e-6): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    const tol = rel * Math.max(1, Math.abs(expected[i]));
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/** torch.optim.AdamW written out for one scalar (float32 storage of p, m, v): the param after each step. */
function adamwReference(p0: number, grads: number[], o: { lr: number; wd: number; b1: number; b2: number; eps: number }): number[] {
  let p = f(p0);
  let m = 0;
  let v = 0;
  const out: number[] = [];
  grads.forEach((g, k) => {
    const t = k + 1;
    p = f(p * (1 - o.lr * o.wd));
    m = f(o.b1 * m + (1 - o.b1) * g);
    v = f(o.b2 * v + (1 - o.b2) * g * g);
    const bc1 = 1 - Math.pow(o.b1, t);
    const bc2 = 1 - Math.pow(o.b2, t);
    const denom = Math.sqrt(v) / Math.sqrt(bc2) + o.eps;
    p = f(p - (o.lr / bc1) * (m / denom));
    out.push(p);
  });
  return out;
}

function expectAfter3(name: string, init: number[], o: Parameters<typeof adamwReference>[2]): number[] {
  return init.map((p0, i) => adamwReference(p0, GRADS[name].map((g) => g[i]), o)[2]);
}

const DEFAULTS = { b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.01 };

test('AdamW first step moves each param by lr * sign(grad) after decoupled decay', () => {
  const w = param('w', [1, 2, -1]);
  w.grad.set([0.5, -0.25, 1]);
  new AdamW().step([w], [{ lrScale: 1 }], 0.1);
  // p*(1 - 0.1*0.01) - 0.1*sign(g)
  assertClose(w.data, [0.999 - 0.1, 1.998 + 0.1, -0.999 - 0.1], 'w');
});

test('AdamW 3 steps with defaults match the formula', () => {
  const params = [param('w', [1, 2, -1]), param('b', [0.5, -0.5])];
  const opt = new AdamW();
  run(opt, params, [{ lrScale: 1 }], 0.01);
  assertClose(params[0].data, expectAfter3('w', [1, 2, -1], { ...DEFAULTS, lr: 0.01 }), 'w');
  assertClose(params[1].data, expectAfter3('b', [0.5, -0.5], { ...DEFAULTS, lr: 0.01 }), 'b');
  assert.deepEqual(opt.stateScalars(), { step: 3 });
  // m after 3 steps of b[0] grads 2, 1, 0.5: 0.1*(0.81*2 + 0.9*1 + 0.5)
  assertClose(opt.stateTensors()['exp_avg.b'], [0.302, -0.324 + 0.09 - 0.05], 'exp_avg.b');
  assertClose(opt.stateTensors()['exp_avg_sq.w'].subarray(0, 1), [0.001 * (0.998001 * 0.25 + 0.999 * 0.01 + 1)], 'exp_avg_sq.w');
});

test('AdamW custom betas, eps and weight decay', () => {
  const params = [param('w', [1, 2, -1]), param('b', [0.5, -0.5])];
  run(new AdamW({ betas: [0.8, 0.99], eps: 1e-3, weightDecay: 0.1 }), params, [{ lrScale: 1 }], 0.05);
  const o = { b1: 0.8, b2: 0.99, eps: 1e-3, wd: 0.1, lr: 0.05 };
  assertClose(params[0].data, expectAfter3('w', [1, 2, -1], o), 'w');
  assertClose(params[1].data, expectAfter3('b', [0.5, -0.5], o), 'b');
});

test('AdamW per-group lr scale and weight decay override', () => {
  const params = [param('w', [1, 2, -1], 1), param('b', [0.5, -0.5], 0)];
  const groups = [{ lrScale: 1, weightDecay: 0 }, { lrScale: 0.1, weightDecay: 0.5 }];
  run(new AdamW(), params, groups, 0.01);
  assertClose(params[0].data, expectAfter3('w', [1, 2, -1], { ...DEFAULTS, lr: 0.001, wd: 0.5 }), 'w');
  assertClose(params[1].data, expectAfter3('b', [0.5, -0.5], { ...DEFAULTS, lr: 0.01, wd: 0 }), 'b');
});

test('AdamW state save/load gives the identical next step', () => {
  const a = [param('w', [1, 2, -1]), param('b', [0.5, -0.5])];
  const optA = new AdamW({ weightDecay: 0.1 });
  run(optA, a, [{ lrScale: 1 }], 0.01, 2);

  const b = a.map((p) => param(p.name, Array.from(p.data)));
  const optB = new AdamW({ weightDecay: 0.1 });
  optB.loadState(structuredClone(optA.stateTensors()), optA.stateScalars());
  assert.deepEqual(optB.stateScalars(), { step: 2 });
  for (const [opt, params] of [[optA, a], [optB, b]] as const) {
    for (const p of params) p.grad.set(GRADS[p.name][2]);
    opt.step(params, [{ lrScale: 1 }], 0.01);
  }
  for (let i = 0; i < a.length; i++) assert.deepEqual(b[i].data, a[i].data);
  assert.deepEqual(optB.stateTensors(), optA.stateTensors());

  // Without the step count the bias correction differs, so the step does too.
  const c = a.map((p) => param(p.name, Array.from(p.data)));
  const optC = new AdamW({ weightDecay: 0.1 });
  optC.loadState(optA.stateTensors(), {});
  for (const p of c) p.grad.set(GRADS[p.name][2]);
  optC.step(c, [{ lrScale: 1 }], 0.01);
  assert.notDeepEqual(c[0].data, a[0].data);
});

test('AdamW loaded state is copied, and bad state is rejected', () => {
  const m = Float32Array.from([1, 2]);
  const opt = new AdamW();
  opt.loadState({ 'exp_avg.x.y': m, 'exp_avg_sq.x.y': Float32Array.from([1, 1]) }, { step: 1 });
  assert.notEqual(opt.stateTensors()['exp_avg.x.y'], m);
  assert.deepEqual(opt.stateTensors()['exp_avg.x.y'], m);
  assert.throws(() => opt.loadState({ 'momentum_buffer.w': m }, {}), /unexpected tensor "momentum_buffer.w"/);
  assert.throws(() => opt.loadState({}, { step: -1 }), /"step" must be a non-negative integer/);
});

test('AdamW and SGD return the squared gradient norm they read (the session reports its root without another pass)', async () => {
  const { gradNorm } = await import('../../src/core/optim/clip.js');
  const { Sgd } = await import('../../src/core/optim/sgd.js');
  const make = () => {
    const a = param('a', [1, 2, -1]), b = param('b', [0.5, -3]);
    a.grad.set([0.5, -0.25, 1.3]);
    b.grad.set([-2.1, 0.7]);
    return [a, b];
  };
  for (const opt of [new AdamW(), new Sgd({ momentum: 0.9 }), new Sgd()]) {
    const ps = make();
    const expected = gradNorm(ps);
    assert.equal(Math.sqrt(opt.step(ps, [{ lrScale: 1 }], 0.1)), expected, opt.name);
  }
});
