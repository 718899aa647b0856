/**
 * Rules see the shapes of one probe batch; later batches may differ in their dynamic dims (batch, sequence length,
 * image size). These cases build the backward graph from a probe with other shapes than the checked run.
 */
import { distinct, frozen, INT64_MAX, ints, pos, rand, testOps } from '../helpers/gradcheck.js';

testOps([
  { name: '[B,3] + [1,3], probed with B=1', op: 'Add', inputs: [rand(4, 3), rand(1, 3)], probe: { 0: [1, 3] } },
  { name: '[B,T,1] * [T,4], probed with B=T=1', op: 'Mul', inputs: [rand(2, 3, 1), rand(3, 4)], probe: { 0: [1, 1, 1], 1: [1, 4] } },
  { name: '[B,T,K] @ [K,N], probed with B=T=1', op: 'MatMul', inputs: [rand(2, 3, 4), rand(4, 5)], probe: { 0: [1, 1, 4] } },
  { name: '[B,3,4] @ [1,4,5], probed with B=1', op: 'MatMul', inputs: [rand(2, 3, 4), rand(1, 4, 5)], probe: { 0: [1, 3, 4] } },
  { name: 'axes [1] over T, probed with T=2', op: 'ReduceMean', inputs: [rand(2, 5, 3)], attrs: { axes: [1], keepdims: 0 }, probe: { 0: [1, 2, 3] } },
  { name: 'axis -1, probed with B=T=1', op: 'LayerNormalization', inputs: [rand(2, 3, 4), pos(4), rand(4)], probe: { 0: [1, 1, 4] } },
  { name: 'axis -1, probed with B=1', op: 'Softmax', inputs: [rand(3, 4)], probe: { 0: [1, 4] } },
  { name: 'tokens 1.. of [B,T,D], probed with T=2', op: 'Slice', inputs: [rand(2, 5, 3), ints([1]), ints([INT64_MAX]), ints([1])], probe: { 0: [1, 2, 3] } },
  { name: '[B,2] ++ [B,3], probed with B=1', op: 'Concat', inputs: [rand(3, 2), rand(3, 3)], attrs: { axis: 1 }, probe: { 0: [1, 2], 1: [1, 3] } },
  { name: '2-D, probed with another image size', op: 'MaxPool', inputs: [distinct(2, 1, 6, 6)], attrs: { kernel_shape: [2, 2], strides: [2, 2] }, probe: { 0: [1, 1, 4, 4] } },
  { name: 'NCHW, probed with B=1', op: 'BatchNormalization', inputs: [rand(3, 2, 2, 2), pos(2), rand(2), frozen(rand(2)), frozen(pos(2))], probe: { 0: [1, 2, 2, 2] } },
  // float32: no double kernels (see nn.test.ts).
  { name: 'probed with another batch and image size', op: 'GlobalAveragePool', inputs: [rand(2, 3, 4, 5)], probe: { 0: [1, 3, 2, 2] }, dtype: 'float' },
  { name: 'depthwise, probed with B=1', op: 'Conv', inputs: [rand(3, 2, 5, 5), rand(2, 1, 3, 3), rand(2)], attrs: { group: 2 }, probe: { 0: [1, 2, 5, 5] }, dtype: 'float' },
  { name: 'group 2, probed with B=1', op: 'Conv', inputs: [rand(2, 4, 4, 4), rand(4, 2, 3, 3)], attrs: { group: 2, pads: [1, 1, 1, 1] }, probe: { 0: [1, 4, 4, 4] }, dtype: 'float' },
  { name: 'probed with B=1', op: 'AveragePool', inputs: [rand(3, 2, 4, 4)], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, probe: { 0: [1, 2, 4, 4] }, dtype: 'float' },
]);
