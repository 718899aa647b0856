import { test } from 'node:test';
import { DT } from '../../src/core/onnx/tensor.js';
import { f } from '../../src/core/onnx/attributes.js';
import { affine, away, bools, distinct, frozen, gradcheck, ints, node, pos, rand, testOps, vals } from '../helpers/gradcheck.js';

/** Values away from HardSigmoid's kinks (±2.5 at the defaults) and HardSwish's (±3). */
const hard = vals([2, 6], [-4.1, -3.4, -2.8, -2.1, -1.2, -0.3, 0.4, 1.1, 1.9, 2.7, 3.3, 4.4]);

testOps([
  { name: 'same shape', op: 'Add', inputs: [rand(2, 3), rand(2, 3)] },
  { name: '[2,3] + [3]', op: 'Add', inputs: [rand(2, 3), rand(3)] },
  { name: '[2,1] + [1,3]', op: 'Add', inputs: [rand(2, 1), rand(1, 3)] },
  { name: 'scalar + [2,3]', op: 'Add', inputs: [rand(), rand(2, 3)] },
  { name: '[2,3,4] - [3,1]', op: 'Sub', inputs: [rand(2, 3, 4), rand(3, 1)] },
  { name: '[1,3] - [2,1]', op: 'Sub', inputs: [rand(1, 3), rand(2, 1)] },
  { name: 'same shape', op: 'Mul', inputs: [rand(2, 3), rand(2, 3)] },
  { name: '[2,3,4] * [4]', op: 'Mul', inputs: [rand(2, 3, 4), rand(4)] },
  { name: 'same shape', op: 'Div', inputs: [rand(2, 3), pos(2, 3)] },
  { name: '[2,3] / [2,1]', op: 'Div', inputs: [rand(2, 3), pos(2, 1)] },
  { name: 'scalar / [3]', op: 'Div', inputs: [rand(), affine(pos(3), -1, 0)] },
  { name: 'both inputs', op: 'Pow', inputs: [pos(2, 3), rand(2, 3)] },
  { name: 'scalar exponent', op: 'Pow', inputs: [pos(2, 3), affine(rand(), 2, 0)] },
  { name: '[3] ^ [2,3]', op: 'Pow', inputs: [pos(3), rand(2, 3)] },
  { name: 'int64 exponent', op: 'Pow', inputs: [rand(2, 3), ints([3], [])] },
  { name: 'x', op: 'Neg', inputs: [rand(2, 3)] },
  { name: 'x', op: 'Sqrt', inputs: [pos(2, 3)] },
  { name: 'x', op: 'Exp', inputs: [rand(2, 3)] },
  { name: 'x', op: 'Log', inputs: [pos(2, 3)] },
  // Erf: onnxruntime's CPU provider has no double Erf kernel.
  { name: 'x', op: 'Erf', inputs: [rand(2, 3)], dtype: 'float' },
  { name: 'x', op: 'Tanh', inputs: [rand(2, 3)] },
  { name: 'x', op: 'Sigmoid', inputs: [affine(rand(2, 3), 3, 0)] },
  { name: 'x', op: 'Relu', inputs: [away(3, 4)] },
  { name: 'x', op: 'Reciprocal', inputs: [pos(2, 3)] },
  { name: 'default alpha', op: 'LeakyRelu', inputs: [away(3, 4)] },
  { name: 'alpha 0.2', op: 'LeakyRelu', inputs: [away(3, 4)], attrs: { alpha: f(0.2) } },
  // Gelu 'none' is computed with Erf (forward and gradient): no double Erf kernel in onnxruntime's CPU provider.
  { name: 'approximate none', op: 'Gelu', inputs: [affine(rand(3, 4), 3, 0)], opset: 20, dtype: 'float' },
  { name: 'approximate tanh', op: 'Gelu', inputs: [affine(rand(3, 4), 3, 0)], opset: 20, attrs: { approximate: 'tanh' } },
  // HardSigmoid and HardSwish (a function over HardSigmoid): no double kernel in onnxruntime's CPU provider.
  { name: 'defaults', op: 'HardSigmoid', inputs: [hard], dtype: 'float' },
  { name: 'alpha 0.3 beta 0.4', op: 'HardSigmoid', inputs: [hard], attrs: { alpha: f(0.3), beta: f(0.4) }, dtype: 'float' },
  { name: 'x', op: 'HardSwish', inputs: [hard], dtype: 'float' },
  { name: 'double → double', op: 'Cast', inputs: [rand(2, 3)], attrs: { to: DT.DOUBLE } },
  // The output is rounded to float32, so the differences need float32's step and tolerance.
  { name: 'double → float', op: 'Cast', inputs: [rand(2, 3)], attrs: { to: DT.FLOAT }, precision: 'float' },
  { name: 'float → double', op: 'Cast', inputs: [rand(2, 3)], attrs: { to: DT.DOUBLE }, dtype: 'float' },
  { name: 'x', op: 'Identity', inputs: [rand(2, 3)] },
  { name: 'inference, no mask', op: 'Dropout', inputs: [rand(2, 3)] },
  { name: 'inference, ratio input and mask output', op: 'Dropout', inputs: [rand(2, 3), frozen(vals([], [0.3]))], outputs: 2 },
  { name: 'same shape', op: 'Where', inputs: [bools([1, 0, 0, 1, 1, 0], [2, 3]), rand(2, 3), rand(2, 3)] },
  { name: 'broadcast cond and branches', op: 'Where', inputs: [bools([1, 0, 1], [3]), rand(2, 1), rand(2, 3)] },
  { name: 'scalar branch', op: 'Where', inputs: [bools([1, 0, 0, 1], [2, 2]), rand(), rand(2, 2)] },
  { name: '2 inputs', op: 'Max', inputs: [distinct(2, 3), distinct(2, 3)] },
  { name: '3 inputs broadcast', op: 'Max', inputs: [distinct(2, 3), distinct(3), distinct(2, 1)] },
  { name: '2 inputs broadcast', op: 'Min', inputs: [distinct(3, 1), distinct(1, 4)] },
  { name: '3 inputs', op: 'Min', inputs: [distinct(2, 3), distinct(2, 3), distinct(2, 3)] },
  { name: 'min and max', op: 'Clip', inputs: [rand(3, 4), frozen(vals([], [-0.45])), frozen(vals([], [0.55]))] },
  { name: 'max only', op: 'Clip', inputs: [rand(3, 4), null, frozen(vals([], [0.25]))] },
  { name: 'min only', op: 'Clip', inputs: [rand(3, 4), frozen(vals([], [-0.15]))] },
  { name: 'trainable min and max', op: 'Clip', inputs: [rand(3, 4), vals([], [-0.45]), vals([], [0.55])] },
  { name: 'no bounds', op: 'Clip', inputs: [rand(3, 4)] },
  { name: '1 input', op: 'Sum', inputs: [rand(2, 3)] },
  { name: '3 inputs broadcast', op: 'Sum', inputs: [rand(2, 3), rand(3), rand(2, 1)] },
  // Mean: no double kernel in onnxruntime's CPU provider.
  { name: '2 inputs', op: 'Mean', inputs: [rand(2, 3), rand(2, 3)], dtype: 'float' },
  { name: '3 inputs broadcast', op: 'Mean', inputs: [rand(2, 3), rand(1, 3), rand()], dtype: 'float' },
]);

// Piecewise-constant ops stop the gradient: x·Floor(x) has derivative Floor(x) away from the integers.
const offKinks = vals([2, 3], [0.1, 0.3, 1.2, -0.7, 2.3, -1.3]);
for (const op of ['Sign', 'Floor', 'Ceil', 'Round']) {
  test(`${op} passes no gradient`, () => gradcheck({
    nodes: [node(op, ['x'], ['k']), node('Mul', ['x', 'k'], ['y'])], inputs: { x: offKinks }, outputs: ['y'],
  }));
}

test('Mul x·x (one value read twice: contributions summed)', () => gradcheck({
  nodes: [node('Mul', ['x', 'x'], ['y'])], inputs: { x: rand(2, 3) }, outputs: ['y'],
}));
