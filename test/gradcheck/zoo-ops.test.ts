// Gradient rules the model-zoo sweep turned up (issue 13; test/fixtures/generate/producers/sweep_zoo.py): the ops
// PyTorch exports for ELU/SELU/CELU/PReLU, InstanceNorm2d/GroupNorm, PixelShuffle/PixelUnshuffle, Tensor.repeat,
// triu/tril, F.normalize and logsumexp.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Emitter } from '../../src/core/autodiff/emitter.js';
import { RuleContext } from '../../src/core/autodiff/rule.js';
import { einsumRules } from '../../src/core/autodiff/rules/einsum.js';
import { f } from '../../src/core/onnx/attributes.js';
import { DT } from '../../src/core/onnx/tensor.js';
import { affine, away, frozen, ints, node, rand, testOps, vals, type OpCase } from '../helpers/gradcheck.js';

const spread = (spec: ReturnType<typeof rand>) => affine(spec, 2, 0);

testOps([
  { name: 'alpha 1 (nn.ELU)', op: 'Elu', dtype: 'float', inputs: [spread(away(2, 3, 4))] },
  { name: 'alpha 0.5', op: 'Elu', dtype: 'float', inputs: [spread(away(2, 3, 4))], attrs: { alpha: f(0.5) } },
  { name: 'default alpha/gamma (nn.SELU)', op: 'Selu', dtype: 'float', inputs: [spread(away(2, 3, 4))] },
  { name: 'alpha 2', op: 'Celu', dtype: 'float', opset: 17, inputs: [spread(away(2, 3, 4))], attrs: { alpha: f(2) } },
  { name: 'slope per channel [C,1,1] (nn.PReLU(C))', op: 'PRelu', inputs: [away(2, 3, 2, 2), rand(3, 1, 1)] },
  { name: 'one shared slope', op: 'PRelu', inputs: [away(2, 5), rand(1)] },
  { name: 'frozen slope', op: 'PRelu', inputs: [away(2, 5), frozen(rand(5))] },

  { name: '2-D (nn.InstanceNorm2d affine)', op: 'InstanceNormalization', dtype: 'float', inputs: [rand(2, 3, 3, 4), rand(3), rand(3)] },
  { name: '1-D, epsilon 1e-3', op: 'InstanceNormalization', dtype: 'float', inputs: [rand(2, 2, 5), rand(2), rand(2)], attrs: { epsilon: f(1e-3) } },

  { name: 'CRD blocksize 2 (nn.PixelShuffle)', op: 'DepthToSpace', inputs: [rand(2, 8, 2, 3)], attrs: { blocksize: 2, mode: 'CRD' } },
  { name: 'DCR blocksize 2', op: 'DepthToSpace', inputs: [rand(1, 8, 3, 2)], attrs: { blocksize: 2 } },
  { name: 'blocksize 2', op: 'SpaceToDepth', inputs: [rand(2, 2, 4, 6)], attrs: { blocksize: 2 } },
  { name: 'repeats [1, 2, 3] (Tensor.repeat)', op: 'Tile', inputs: [rand(2, 3, 2), ints([1, 2, 3])] },
  { name: 'upper, k 0 (torch.triu)', op: 'Trilu', opset: 14, inputs: [rand(2, 3, 4)] },
  { name: 'lower, k 1', op: 'Trilu', opset: 14, inputs: [rand(3, 4), ints([1], [])], attrs: { upper: 0 } },

  { name: 'axes [1] (F.normalize)', op: 'ReduceL2', inputs: [rand(2, 3, 4)], attrs: { axes: [1] } },
  { name: 'all axes, keepdims 0', op: 'ReduceL2', inputs: [rand(2, 3)], attrs: { keepdims: 0 } },
  { name: 'axes [1] (torch.logsumexp)', op: 'ReduceLogSumExp', inputs: [spread(rand(2, 3, 4))], attrs: { axes: [1] } },
  { name: 'axes as input (opset 18), keepdims 0', op: 'ReduceLogSumExp', opset: 18, inputs: [rand(2, 3, 4), ints([-1])], attrs: { keepdims: 0 } },
  { name: 'axes [0, 2]', op: 'ReduceL1', inputs: [away(2, 3, 4)], attrs: { axes: [0, 2] } },
  { name: 'axes [1], keepdims 0', op: 'ReduceSumSquare', inputs: [rand(2, 3, 4)], attrs: { axes: [1], keepdims: 0 } },
  { name: 'axes [1] (torch.prod)', op: 'ReduceProd', inputs: [away(2, 3, 4)], attrs: { axes: [1] } },
  { name: 'all axes, keepdims 0', op: 'ReduceProd', inputs: [away(2, 3)], attrs: { keepdims: 0 } },
  { name: 'axes as input (opset 18)', op: 'ReduceProd', opset: 18, inputs: [away(2, 3, 4), ints([-1])] },
  // rows: no zero; one zero (its gradient the others' product, the rest 0); two zeros (all 0): as torch.prod
  { name: 'zeros in the slice', op: 'ReduceProd', inputs: [vals([3, 3], [0.5, -2, 1.5, 0.5, 0, 3, 0, 0, 2])], attrs: { axes: [1] } },
  { name: 'a zero slice gets a zero gradient', op: 'ReduceL2', inputs: [vals([2, 2], [0, 0, 0.5, -1])], attrs: { axes: [1] } },
] satisfies OpCase[]);

// Trigonometric and hyperbolic functions (torch.atan, asin, ...): float32 kernels, so against a float64 reference.
const unit = (...shape: number[]) => affine(rand(...shape), 0.8, 0);
testOps([
  ...['Tan', 'Atan', 'Asin', 'Acos', 'Sinh', 'Cosh', 'Asinh', 'Atanh'].map((op): OpCase => ({ name: 'in (-0.8, 0.8)', op, dtype: 'float', inputs: [unit(2, 3)] })),
  { name: 'in (1.5, 2.5)', op: 'Acosh', dtype: 'float', inputs: [affine(rand(2, 3), 0.5, 2)] },
]);

// Einsum (torch.einsum, opset 12+): each operand's gradient is an einsum of g with the others.
const einsum = (equation: string, ...inputs: OpCase['inputs']): OpCase => ({ name: `'${equation}'`, op: 'Einsum', opset: 17, inputs, attrs: { equation } });
testOps([
  einsum('ij,jk->ik', rand(2, 3), rand(3, 4)),
  einsum('bhqd,bhkd->bhqk', rand(2, 2, 3, 4), rand(2, 2, 5, 4)),
  einsum('nchw,nchw->nhw', rand(2, 3, 2, 2), rand(2, 3, 2, 2)),
  einsum('ij,jk', rand(2, 3), rand(3, 4)),
  einsum('ij->j', rand(3, 4)),
  einsum('ijk,j->i', rand(2, 3, 4), rand(3)),
  einsum('i,i->', rand(5), rand(5)),
  einsum('...qd,...kd->...qk', rand(2, 3, 4), rand(2, 5, 4)),
  einsum('bi,bj->bij', rand(2, 3), frozen(rand(2, 4))),
]);

/** A rule context for one Einsum node over float inputs of the given shapes (the output's shape last). */
function fakeContext(equation: string, shapes: number[][]): RuleContext {
  const names = shapes.slice(0, -1).map((_, i) => `x${i}`);
  const infos = new Map([...names, 'y'].map((n, i) => [n, { dtype: DT.FLOAT, shape: shapes[i] }]));
  return new RuleContext(new Emitter(17), { ...node('Einsum', names, ['y'], { equation }), name: 'e1' }, ['gy'], names.map(() => true), infos, new Map());
}

test('Einsum forms without a rule are refused naming the node and why', () => {
  const refused = (equation: string, shapes: number[][], why: RegExp) => assert.throws(
    () => einsumRules.Einsum.grad(fakeContext(equation, shapes)), (err: Error) => /Einsum node 'e1'/.test(err.message) && why.test(err.message));
  refused('ii->i', [[3, 3], [3]], /diagonal/);
  refused('...ij,...jk->...ik', [[2, 3, 4], [1, 4, 5], [2, 3, 5]], /operand 1's '\.\.\.' is broadcast/);
  refused('...ij->j', [[2, 3, 4], [4]], /operand 0's '\.\.\.' is broadcast or summed/);
});
