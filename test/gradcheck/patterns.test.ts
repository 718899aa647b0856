import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BackwardResult } from '../../src/core/autodiff/backward.js';
import { affine, frozen, gradcheck, node, rand, vals, type GraphCase } from '../helpers/gradcheck.js';
import { erf, type Tensor64 } from '../helpers/reference-ops.js';

// Fused patterns (src/core/autodiff/patterns.ts). Erf has no float64 kernel in onnxruntime: float32 graphs checked
// against central differences of a float64 reference forward.

const X = affine(rand(3, 4), 3, 0);
const SQRT2 = Math.fround(Math.SQRT2);
const scalar = (v: number) => frozen(vals([], [v]));
const map = (t: Tensor64, f: (v: number, i: number) => number): Tensor64 => ({ data: t.data.map(f), shape: t.shape });
/** 0.5·x·(1 + erf(x/c)) in double, with the float32-rounded constant c. */
const gelu = (x: Tensor64, c = SQRT2) => map(x, (v) => 0.5 * v * (1 + erf(v / c)));

/** The exported erf-GELU of x (TorchScript): Div(x, √2) → Erf → Add(·, 1) → Mul(x, ·) → Mul(·, 0.5). */
const torchScript = (x: string, y: string) => [
  node('Div', [x, 'c_sqrt2'], ['d']), node('Erf', ['d'], ['e']), node('Add', ['e', 'c_one'], ['a']),
  node('Mul', [x, 'a'], ['xa']), node('Mul', ['xa', 'c_half'], [y]),
];
const constants = { c_sqrt2: scalar(Math.SQRT2), c_one: scalar(1), c_half: scalar(0.5) };

const cases: (GraphCase & { name: string; fused: boolean })[] = [
  {
    name: 'TorchScript form', fused: true, nodes: torchScript('x', 'y'), inputs: { x: X, ...constants }, outputs: ['y'],
    reference: (v) => [gelu(v.x)],
  },
  {
    // x also read outside the pattern: its two gradients add up.
    name: 'x read elsewhere too', fused: true, nodes: [...torchScript('x', 'y'), node('Mul', ['x', 'x'], ['x2'])],
    inputs: { x: X, ...constants }, outputs: ['y', 'x2'],
    reference: (v) => [gelu(v.x), map(v.x, (t) => t * t)],
  },
  {
    // Mul(Mul(x, 0.5), Add(Erf(Mul(x, 1/√2)), 1)), constants first.
    name: 'x·0.5 first, Mul by 1/√2, constants as first operands', fused: true,
    nodes: [
      node('Mul', ['c_rsqrt2', 'x'], ['d']), node('Erf', ['d'], ['e']), node('Add', ['c_one', 'e'], ['a']),
      node('Mul', ['c_half', 'x'], ['xh']), node('Mul', ['xh', 'a'], ['y']),
    ],
    inputs: { x: X, c_rsqrt2: scalar(Math.SQRT1_2), c_one: scalar(1), c_half: scalar(0.5) }, outputs: ['y'],
    reference: (v) => [map(v.x, (t) => Math.fround(0.5) * t * (1 + erf(t * Math.fround(Math.SQRT1_2))))],
  },
  {
    // Other constants (the formula takes them from the graph): 3·x·(2 + erf(x/1.5)).
    name: 'other constants', fused: true,
    nodes: [
      node('Div', ['x', 'c'], ['d']), node('Erf', ['d'], ['e']), node('Add', ['e', 'b'], ['a']),
      node('Mul', ['a', 'x'], ['xa']), node('Mul', ['m', 'xa'], ['y']),
    ],
    inputs: { x: X, c: scalar(1.5), b: scalar(2), m: scalar(3) }, outputs: ['y'],
    reference: (v) => [map(v.x, (t) => 3 * t * (2 + erf(t / 1.5)))],
  },
  {
    // Near-patterns, left to the per-op rules: the Erf output is read elsewhere too...
    name: 'not fused: Erf output also an output', fused: false, nodes: torchScript('x', 'y'),
    inputs: { x: X, ...constants }, outputs: ['y', 'e'],
    reference: (v) => [gelu(v.x), map(v.x, (t) => erf(t / SQRT2))],
  },
  {
    // ... the added 1 is a trained value, not a constant...
    name: 'not fused: Add of a trained value', fused: false, nodes: torchScript('x', 'y'),
    inputs: { x: X, c_sqrt2: scalar(Math.SQRT2), c_one: rand(), c_half: scalar(0.5) }, outputs: ['y'],
    reference: (v) => [map(v.x, (t) => 0.5 * t * (v.c_one.data[0] + erf(t / SQRT2)))],
  },
  {
    // ... or the Erf reads another tensor than the one multiplied.
    name: 'not fused: Erf of another tensor', fused: false,
    nodes: [
      node('Div', ['z', 'c_sqrt2'], ['d']), node('Erf', ['d'], ['e']), node('Add', ['e', 'c_one'], ['a']),
      node('Mul', ['x', 'a'], ['xa']), node('Mul', ['xa', 'c_half'], ['y']),
    ],
    inputs: { x: X, z: X, ...constants }, outputs: ['y'],
    reference: (v) => [map(v.x, (t, i) => 0.5 * t * (1 + erf(v.z.data[i] / SQRT2)))],
  },
];

/** The forward ops whose rules (or patterns) emitted the backward nodes. */
const origins = (back: BackwardResult) => new Set(back.nodes.map((n) => n.docString.split(' ')[2]));

for (const c of cases) {
  test(`erf-GELU pattern: ${c.name} (float32 vs float64 reference)`, () => gradcheck({
    ...c, dtype: 'float',
    inspect: (back) => {
      // Fused: the pattern's rule alone; else the per-op rules (Erf's among them).
      assert.equal(origins(back).has('ErfGelu'), c.fused, `origins: ${[...origins(back)]}`);
      assert.equal(origins(back).has('Erf'), !c.fused, `origins: ${[...origins(back)]}`);
    },
  }));
}
