// Gradient rules the producers' models need (issue 13): ReduceMax/ReduceMin in float64; ConvTranspose and Resize in
// float32, as onnxruntime's CPU provider has no float64 kernel for either.
import { distinct, frozen, ints, rand, testOps, vals, type OpCase } from '../helpers/gradcheck.js';

const resize = (name: string, attrs: OpCase['attrs'], how: 'scales' | 'sizes', dtype: OpCase['dtype'] = 'float'): OpCase => ({
  name, op: 'Resize', opset: 17, dtype, attrs,
  inputs: how === 'scales'
    ? [rand(2, 2, 3, 4), null, frozen(vals([4], [1, 1, 2, 1.5]))]
    : [rand(2, 2, 3, 4), null, null, ints([2, 2, 5, 7])],
});

testOps([
  { name: 'axes [1], keepdims 1', op: 'ReduceMax', opset: 17, inputs: [distinct(2, 3, 4)], attrs: { axes: [1] } },
  { name: 'axes [0, 2], keepdims 0', op: 'ReduceMax', opset: 17, inputs: [distinct(2, 3, 4)], attrs: { axes: [0, 2], keepdims: 0 } },
  { name: 'all axes, keepdims 0', op: 'ReduceMax', opset: 17, inputs: [distinct(2, 3, 4)], attrs: { keepdims: 0 } },
  { name: 'axes [-1] as an input (opset 18)', op: 'ReduceMin', opset: 18, inputs: [distinct(2, 3, 4), ints([-1])] },
  { name: 'axes [1], keepdims 0', op: 'ReduceMin', opset: 17, inputs: [distinct(2, 3, 4)], attrs: { axes: [1], keepdims: 0 } },

  { name: '2-D, stride 1', op: 'ConvTranspose', dtype: 'float', inputs: [rand(2, 3, 4, 4), rand(3, 2, 3, 3), rand(2)] },
  { name: '2-D, stride 2, pads 1, output_padding 1 (nn.ConvTranspose2d upsampling)', op: 'ConvTranspose', dtype: 'float',
    inputs: [rand(2, 2, 3, 3), rand(2, 3, 3, 3), rand(3)], attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] } },
  { name: '2-D, dilations [2, 1], asymmetric strides', op: 'ConvTranspose', dtype: 'float',
    inputs: [rand(1, 2, 3, 4), rand(2, 2, 2, 3)], attrs: { strides: [1, 2], dilations: [2, 1], pads: [0, 1, 1, 0] } },
  { name: '1-D, stride 3', op: 'ConvTranspose', dtype: 'float', inputs: [rand(2, 2, 5), rand(2, 1, 4), rand(1)], attrs: { strides: [3] } },

  resize('nearest, asymmetric/floor (F.interpolate nearest, Upsample)', { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, 'scales'),
  resize('linear, pytorch_half_pixel (bilinear, align_corners=False)', { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' }, 'scales'),
  resize('linear, align_corners, sizes', { mode: 'linear', coordinate_transformation_mode: 'align_corners' }, 'sizes'),
  resize('nearest, half_pixel round_prefer_ceil, sizes', { mode: 'nearest' }, 'sizes'),
]);
