import { zerosTensor } from '../../onnx/tensor.js';
import type { RuleContext, RuleTable } from '../rule.js';

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

/**
 * ConvTranspose (as nn.ConvTranspose*d exports it: explicit pads, optional output_padding). Its adjoint in x is the
 * plain convolution with the same weights; dW[ci,co,k] = Σ_n Σ_q x[n,ci,q]·g[n,co,q·s + k·d − pad] is a convolution
 * of g (batch as channels) with x as the kernel, strides and dilations swapped, cut to the kernel size.
 */
function convTransposeGrad(c: RuleContext): (string | undefined)[] {
  const e = c.e, [x, w] = [c.input(0), c.input(1)], g = c.gradOut()!;
  const n = c.rank(x) - 2, group = c.attrInt('group', 1);
  const kernel = c.shape(w).slice(2);
  if (c.attrString('auto_pad', 'NOTSET') !== 'NOTSET' || c.attrInts('output_shape')) {
    throw new Error('auto_pad and output_shape are not supported (export with explicit pads)');
  }
  const strides = c.attrInts('strides') ?? new Array(n).fill(1);
  const dilations = c.attrInts('dilations') ?? new Array(n).fill(1);
  const pads = c.attrInts('pads') ?? new Array(2 * n).fill(0);
  let dx: string | undefined, dw: string | undefined, db: string | undefined;
  if (c.needsGrad(0)) dx = e.op('Conv', [g, w], { strides, dilations, pads, group });
  if (c.needsGrad(1)) {
    if (group !== 1) throw new Error('the weight gradient of a grouped ConvTranspose is not supported');
    const gT = e.transpose(g, [1, 0, ...range(2, n + 2)]);
    const xT = e.transpose(x, [1, 0, ...range(2, n + 2)]);
    const full = e.op('Conv', [gT, xT], { strides: dilations, dilations: strides, pads });
    const cut = e.op('Slice', [full, e.i64(new Array(n).fill(0)), e.i64(kernel), e.i64(range(2, n + 2))]);
    dw = e.transpose(cut, [1, 0, ...range(2, n + 2)]); // [Co, Ci, k] → [Ci, Co, k]
  }
  if (c.hasInput(2) && c.needsGrad(2)) db = e.sum(g, [0, ...range(2, n + 2)]);
  return [dx, dw, db];
}

/**
 * Resize of a 4-D [N, C, H, W] tensor over H and W (as F.interpolate exports it, nearest or linear): it is separable
 * and linear in x, y = A_H · x · A_Wᵀ, and each A is the same Resize applied along one axis to an identity matrix.
 * So dx = A_Hᵀ · g · A_W, with every mode, coordinate transformation and rounding the op itself implements.
 */
function resizeGrad(c: RuleContext): string {
  const e = c.e, x = c.input(0), g = c.gradOut()!;
  if (c.rank(x) !== 4) throw new Error('only 4-D inputs (N, C, H, W) are supported');
  if (c.attrInts('axes') || c.attrString('coordinate_transformation_mode', 'half_pixel') === 'tf_crop_and_resize') {
    throw new Error('axes and tf_crop_and_resize are not supported');
  }
  const scales = c.hasInput(2) ? c.input(2) : undefined;
  const sizes = c.hasInput(3) ? c.input(3) : undefined;
  const dim = (v: string, i: number) => e.op('Slice', [v, e.i64([i]), e.i64([i + 1])]);
  const shapeX = e.shape(x);
  const dtype = c.dtype(x);
  const scalarOne = e.op('Cast', [e.i64([1])], { to: 1 /* FLOAT: Resize scales are float */ });
  /** A [1, 1, L', L] matrix: the op's resampling along spatial axis `i` (2 or 3), applied to eye(L). */
  const along = (i: number) => {
    const len = dim(shapeX, i);
    const eye = e.op('EyeLike', [e.op('ConstantOfShape', [e.op('Concat', [len, len], { axis: 0 })], { value: zerosTensor(dtype) })]);
    const square = e.unsqueeze(eye, [0, 1]);
    const attrs = resizeAttrs(c);
    if (sizes) {
      const s = e.op('Concat', [e.i64([1, 1]), dim(sizes, i), len], { axis: 0 });
      return e.op('Resize', [square, '', '', s], attrs);
    }
    const s = e.op('Concat', [scalarOne, scalarOne, dim(scales!, i), scalarOne], { axis: 0 });
    return e.op('Resize', [square, '', s], attrs);
  };
  const aH = along(2), aW = along(3);
  return e.op('MatMul', [e.transpose(aH, [0, 1, 3, 2]), e.op('MatMul', [g, aW])]);
}

function resizeAttrs(c: RuleContext) {
  const keep: Record<string, string | number> = {};
  for (const a of c.node.attribute) {
    if (a.name === 'exclude_outside' || a.name === 'antialias') keep[a.name] = Number(a.i);
    else if (a.name === 'cubic_coeff_a') continue;
    else if (a.name !== 'extrapolation_value' && a.name !== 'keep_aspect_ratio_policy') keep[a.name] = new TextDecoder().decode(a.s);
  }
  return keep;
}

export const resampleRules: RuleTable = {
  ConvTranspose: { grad: convTransposeGrad },
  Resize: { inputs: [0], grad: (c) => [resizeGrad(c)] },
};
