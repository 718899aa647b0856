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

// tanh-GELU (float64 graphs: Tanh and Pow have double kernels).
const K = Math.sqrt(2 / Math.PI), C = 0.044715;
const tanhGelu = (x: Tensor64, m = 0.5, b = 1, k = K, c = C) => map(x, (v) => m * v * (b + Math.tanh(k * (v + c * v ** 3))));
/** u = k·(x + c·x³), t = tanh(u), a = t + 1, as the GPT-2 fixture exports them (x³ = x·(x·x)). */
const tanhInner = (x: string) => [
  node('Mul', [x, x], ['sq']), node('Mul', [x, 'sq'], ['x3']), node('Mul', ['c_c', 'x3'], ['p']),
  node('Add', [x, 'p'], ['v']), node('Mul', ['c_k', 'v'], ['u']), node('Tanh', ['u'], ['t']), node('Add', ['c_one', 't'], ['a']),
];
/** The GPT-2 fixture's tanh-GELU: 0.5·(x·a). */
const gpt2Gelu = (x: string, y: string) => [...tanhInner(x), node('Mul', [x, 'a'], ['xa']), node('Mul', ['c_half', 'xa'], [y])];
const tanhConstants = { c_c: scalar(C), c_k: scalar(K), c_one: scalar(1), c_half: scalar(0.5) };
/** Hugging Face's NewGELUActivation as TorchScript exports it, the form onnxruntime fuses: Pow(x, 3), (0.5·x)·a. */
const hfGelu = [
  node('Pow', ['x', 'c_three'], ['x3']), node('Mul', ['x3', 'c_c'], ['p']), node('Add', ['x', 'p'], ['v']),
  node('Mul', ['v', 'c_k'], ['u']), node('Tanh', ['u'], ['t']), node('Add', ['t', 'c_one'], ['a']),
  node('Mul', ['c_half', 'x'], ['xh']), node('Mul', ['xh', 'a'], ['y']),
];
const TX = affine(rand(3, 4), 3, 0);

const tanhCases: (GraphCase & { name: string; fused: boolean; xOnly?: boolean })[] = [
  {
    name: 'GPT-2 fixture form (from the forward\'s u and a)', fused: true, nodes: gpt2Gelu('x', 'y'),
    inputs: { x: TX, ...tanhConstants }, outputs: ['y'], reference: (v) => [tanhGelu(v.x)],
  },
  {
    name: 'Hugging Face form (x only)', fused: true, xOnly: true, nodes: hfGelu,
    inputs: { x: TX, ...tanhConstants, c_three: scalar(3) }, outputs: ['y'], reference: (v) => [tanhGelu(v.x)],
  },
  {
    // x also read outside the pattern: its two gradients add up.
    name: 'x read elsewhere too', fused: true, nodes: [...gpt2Gelu('x', 'y'), node('Mul', ['x', 'x'], ['x2'])],
    inputs: { x: TX, ...tanhConstants }, outputs: ['y', 'x2'], reference: (v) => [tanhGelu(v.x), map(v.x, (t) => t * t)],
  },
  {
    // Other constants, x³ = (x·x)·x, Add(p, x): 2·x·(0.5 + tanh(1.3·(x + 0.1·x³))).
    name: 'other constants, operands swapped', fused: true,
    nodes: [
      node('Mul', ['x', 'x'], ['sq']), node('Mul', ['sq', 'x'], ['x3']), node('Mul', ['x3', 'c_c'], ['p']),
      node('Add', ['p', 'x'], ['v']), node('Mul', ['v', 'c_k'], ['u']), node('Tanh', ['u'], ['t']),
      node('Add', ['t', 'c_one'], ['a']), node('Mul', ['a', 'c_half'], ['ah']), node('Mul', ['x', 'ah'], ['y']),
    ],
    inputs: { x: TX, c_c: scalar(0.1), c_k: scalar(1.3), c_one: scalar(0.5), c_half: scalar(2) }, outputs: ['y'],
    reference: (v) => [tanhGelu(v.x, 2, 0.5, 1.3, 0.1)],
  },
  {
    // Near-patterns, left to the per-op rules: the Tanh output is read elsewhere too...
    name: 'not fused: Tanh output also an output', fused: false, nodes: gpt2Gelu('x', 'y'),
    inputs: { x: TX, ...tanhConstants }, outputs: ['y', 't'],
    reference: (v) => [tanhGelu(v.x), map(v.x, (t) => Math.tanh(K * (t + C * t ** 3)))],
  },
  {
    // ... the power is not 3...
    name: 'not fused: Pow(x, 2)', fused: false, nodes: hfGelu,
    inputs: { x: TX, ...tanhConstants, c_three: scalar(2) }, outputs: ['y'],
    reference: (v) => [map(v.x, (t) => 0.5 * t * (1 + Math.tanh(K * (t + C * t * t))))],
  },
  {
    // ... or the cube is of another tensor than the one multiplied.
    name: 'not fused: cube of another tensor', fused: false, nodes: [...tanhInner('z').slice(0, 3), ...gpt2Gelu('x', 'y').slice(3)],
    inputs: { x: TX, z: TX, ...tanhConstants }, outputs: ['y'],
    reference: (v) => [map(v.x, (t, i) => 0.5 * t * (1 + Math.tanh(K * (t + C * v.z.data[i] ** 3))))],
  },
];

for (const c of tanhCases) {
  test(`tanh-GELU pattern: ${c.name}`, () => gradcheck({
    ...c,
    inspect: (back) => {
      assert.equal(origins(back).has('TanhGelu'), c.fused, `origins: ${[...origins(back)]}`);
      assert.equal(origins(back).has('Tanh'), !c.fused, `origins: ${[...origins(back)]}`);
      // The fusable form reads x only, so that onnxruntime can fuse the forward; the other, the forward's u and a.
      const read = new Set(back.nodes.flatMap((n) => n.input));
      if (c.fused) assert.equal(['u', 'a'].some((v) => read.has(v)), !c.xOnly, `reads: ${[...read]}`);
    },
  }));
}
