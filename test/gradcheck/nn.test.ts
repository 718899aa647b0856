import { f } from '../../src/core/onnx/attributes.js';
import { affine, distinct, frozen, pos, rand, testOps, type OpCase } from '../helpers/gradcheck.js';

const softmax: OpCase[] = [];
for (const op of ['Softmax', 'LogSoftmax']) {
  softmax.push({ name: 'default axis, 2-D', op, inputs: [affine(rand(3, 4), 2, 0)] });
  for (const axis of [-1, 0, 1, 2]) softmax.push({ name: `axis ${axis}, 3-D`, op, inputs: [affine(rand(2, 3, 4), 2, 0)], attrs: { axis } });
}

// Conv and ConvTranspose (its gradient) have no double kernels in onnxruntime's CPU provider: Conv runs in float32.
const conv = (name: string, x: number[], w: number[], attrs: OpCase['attrs'] = {}, bias = true): OpCase => ({
  name, op: 'Conv', inputs: [rand(...x), rand(...w), bias ? rand(w[0]) : null], attrs, dtype: 'float',
});

// MaxPool runs in float64; values are distinct so every window has a single argmax.
const maxPool = (name: string, x: number[], attrs: OpCase['attrs'], more: Partial<OpCase> = {}): OpCase => ({
  name, op: 'MaxPool', inputs: [distinct(...x)], attrs, ...more,
});
// AveragePool: no double kernel (and its gradient uses Conv/ConvTranspose): float32.
const avgPool = (name: string, x: number[], attrs: OpCase['attrs'], more: Partial<OpCase> = {}): OpCase => ({
  name, op: 'AveragePool', inputs: [rand(...x)], attrs, dtype: 'float', ...more,
});

testOps([
  ...softmax,
  conv('2-D', [2, 3, 5, 5], [4, 3, 3, 3]),
  conv('2-D no bias, 1x1 kernel', [2, 3, 4, 4], [2, 3, 1, 1], {}, false),
  conv('1-D pads 1', [2, 3, 7], [4, 3, 3], { pads: [1, 1] }),
  conv('1-D stride 2 dilation 2', [1, 2, 9], [3, 2, 3], { strides: [2], dilations: [2] }),
  conv('group 2', [1, 4, 5, 5], [6, 2, 3, 3], { group: 2, pads: [1, 1, 1, 1] }),
  conv('depthwise', [2, 3, 5, 5], [3, 1, 3, 3], { group: 3 }),
  conv('depthwise, channel multiplier 2', [1, 3, 5, 5], [6, 1, 3, 3], { group: 3, strides: [2, 2] }),
  conv('strides 2, pads 1', [1, 2, 6, 6], [3, 2, 3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }),
  conv('asymmetric pads', [1, 2, 5, 5], [2, 2, 3, 3], { pads: [0, 1, 2, 0] }),
  conv('dilations 2', [1, 2, 7, 7], [2, 2, 3, 3], { dilations: [2, 2], pads: [2, 2, 2, 2] }),
  conv('auto_pad SAME_UPPER, stride 2', [1, 2, 5, 6], [2, 2, 3, 3], { auto_pad: 'SAME_UPPER', strides: [2, 2] }),
  conv('auto_pad SAME_LOWER, kernel 2', [1, 2, 5, 5], [2, 2, 2, 2], { auto_pad: 'SAME_LOWER' }),
  conv('stride that skips trailing rows', [1, 2, 6, 7], [2, 2, 3, 3], { strides: [2, 3] }),
  conv('rectangular kernel, stride skips rows', [2, 2, 7, 5], [3, 2, 2, 3], { strides: [3, 1], pads: [0, 1, 0, 1] }),

  maxPool('kernel 2 stride 2', [1, 2, 4, 4], { kernel_shape: [2, 2], strides: [2, 2] }),
  maxPool('overlapping windows, pads 1', [2, 2, 4, 5], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
  maxPool('stride 2 pads 1 ceil_mode', [1, 1, 6, 6], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }),
  maxPool('stride skips trailing rows', [1, 2, 6, 7], { kernel_shape: [2, 2], strides: [3, 3] }),
  maxPool('1-D', [2, 3, 8], { kernel_shape: [3], strides: [2] }),
  maxPool('dilations 2', [1, 2, 6, 6], { kernel_shape: [2, 2], dilations: [2, 2] }),
  maxPool('auto_pad SAME_UPPER', [1, 2, 5, 5], { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'SAME_UPPER' }),
  maxPool('with its Indices output', [1, 2, 4, 4], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { outputs: 2 }),
  maxPool('storage_order 1 with Indices output', [1, 2, 4, 5], { kernel_shape: [2, 2], storage_order: 1 }, { outputs: 2 }),

  avgPool('kernel 2 stride 2', [2, 2, 4, 4], { kernel_shape: [2, 2], strides: [2, 2] }),
  avgPool('pads 1, count_include_pad 0', [1, 2, 4, 5], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
  avgPool('pads 1, count_include_pad 1', [1, 2, 4, 5], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 1 }),
  avgPool('asymmetric pads, stride 2, count_include_pad 0', [1, 1, 6, 5], { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 0, 1] }),
  avgPool('asymmetric pads, stride 2, count_include_pad 1', [1, 1, 6, 5], { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 0, 1], count_include_pad: 1 }),
  avgPool('ceil_mode, count_include_pad 0', [1, 2, 6, 6], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }),
  avgPool('ceil_mode, pads 1, count_include_pad 1', [1, 2, 6, 6], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad: 1 }),
  avgPool('stride skips trailing rows', [1, 2, 7, 6], { kernel_shape: [2, 2], strides: [3, 3] }),
  avgPool('1-D pads', [2, 3, 7], { kernel_shape: [3], strides: [2], pads: [1, 1] }),
  avgPool('auto_pad SAME_UPPER', [1, 2, 5, 5], { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'SAME_UPPER' }),
  avgPool('dilations 2', [1, 1, 7, 7], { kernel_shape: [2, 2], dilations: [2, 2], pads: [1, 1, 1, 1] }, { opset: 19 }),

  // GlobalAveragePool: no double kernel in onnxruntime's CPU provider.
  { name: '2-D', op: 'GlobalAveragePool', inputs: [rand(2, 3, 4, 5)], dtype: 'float' },
  { name: '1-D', op: 'GlobalAveragePool', inputs: [rand(2, 3, 4)], dtype: 'float' },

  { name: 'NCHW: X, scale, B', op: 'BatchNormalization', inputs: [rand(2, 3, 3, 4), pos(3), rand(3), frozen(rand(3)), frozen(pos(3))] },
  { name: '[N,C] (BatchNorm1d): X, scale, B', op: 'BatchNormalization', inputs: [rand(4, 3), pos(3), rand(3), frozen(rand(3)), frozen(pos(3))], attrs: { epsilon: f(1e-3) } },
  { name: '[N,C,L]: X only', op: 'BatchNormalization', inputs: [rand(2, 3, 5), frozen(pos(3)), frozen(rand(3)), frozen(rand(3)), frozen(pos(3))] },

  { name: 'axis -1, rank 3', op: 'LayerNormalization', inputs: [rand(2, 3, 4), pos(4), rand(4)] },
  { name: 'axis 1, rank 3', op: 'LayerNormalization', inputs: [rand(2, 3, 4), pos(3, 4), rand(3, 4)], attrs: { axis: 1 } },
  { name: 'axis -1, no bias, epsilon 0.1', op: 'LayerNormalization', inputs: [rand(3, 5), pos(5)], attrs: { epsilon: f(0.1) } },
  { name: 'scale frozen', op: 'LayerNormalization', inputs: [rand(2, 3, 4), frozen(pos(4)), rand(4)] },
  // float32: the rule reads the kernel's Mean and InvStdDev (kept as outputs in the training graph).
  ...[
    { name: 'saved statistics, axis -1, rank 3', inputs: [rand(2, 3, 4), pos(4), rand(4)] },
    { name: 'saved statistics, axis 1, rank 3', inputs: [rand(2, 3, 4), pos(3, 4), rand(3, 4)], attrs: { axis: 1 } },
    { name: 'saved statistics, rank 2, no bias, epsilon 0.1', inputs: [rand(3, 5), pos(5)], attrs: { epsilon: f(0.1) } },
    { name: 'saved statistics, x frozen', inputs: [frozen(rand(2, 3, 4)), pos(4), rand(4)] },
    { name: 'saved statistics, scale frozen', inputs: [rand(2, 3, 4), frozen(pos(4)), rand(4)] },
    { name: 'Mean and InvStdDev outputs given', inputs: [rand(2, 3, 4), pos(4), rand(4)], outputs: 3 },
    { name: 'saved statistics, probed with B=T=1', inputs: [rand(2, 3, 4), pos(4), rand(4)], probe: { 0: [1, 1, 4] } },
  ].map((c): OpCase => ({ op: 'LayerNormalization', dtype: 'float', ...c })),
]);
