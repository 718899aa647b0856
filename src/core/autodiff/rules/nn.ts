import { DT, makeTensor, zerosTensor } from '../../onnx/tensor.js';
import type { RuleContext, RuleTable } from '../rule.js';

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
const normAxis = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** Explicit [begin..., end...] pads of a conv/pool node, resolving auto_pad from the probe shapes. */
export function explicitPads(c: RuleContext, kernel: number[], strides: number[], dilations: number[]): number[] {
  const n = kernel.length;
  const autoPad = c.attrString('auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET') return c.attrInts('pads') ?? new Array(2 * n).fill(0);
  if (autoPad === 'VALID') return new Array(2 * n).fill(0);
  const spatial = c.shape(c.input(0)).slice(2);
  const begin: number[] = [], end: number[] = [];
  for (let i = 0; i < n; i++) {
    const out = Math.ceil(spatial[i] / strides[i]);
    const total = Math.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - spatial[i]);
    const small = Math.floor(total / 2);
    begin.push(autoPad === 'SAME_UPPER' ? small : total - small);
    end.push(total - begin[i]);
  }
  return [...begin, ...end];
}

function convGrad(c: RuleContext): (string | undefined)[] {
  const e = c.e, [x, w] = [c.input(0), c.input(1)], g = c.gradOut()!;
  const xShape = c.shape(x), wShape = c.shape(w), yShape = c.shape(c.output(0));
  const n = xShape.length - 2, group = c.attrInt('group', 1);
  const kernel = wShape.slice(2);
  const strides = c.attrInts('strides') ?? new Array(n).fill(1);
  const dilations = c.attrInts('dilations') ?? new Array(n).fill(1);
  const pads = explicitPads(c, kernel, strides, dilations);
  let dx: string | undefined, dw: string | undefined, db: string | undefined;
  if (c.needsGrad(0)) {
    // The adjoint of a convolution is the transposed convolution with the same weights; output_padding restores
    // the rows a strided conv never read.
    const outputPadding = range(0, n).map((i) =>
      xShape[i + 2] - ((yShape[i + 2] - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - pads[i] - pads[i + n]));
    dx = e.op('ConvTranspose', [g, w], {
      strides, dilations, pads, group, output_padding: outputPadding.some((p) => p !== 0) ? outputPadding : undefined,
    });
  }
  if (c.needsGrad(1)) {
    // dW[o,i,k] = Σ_n Σ_p g[n,o,p]·x[n,i,p·s + k·d]: a convolution of x (batch as channels) with g as the kernel,
    // strides and dilations swapped. Groups stay groups by laying x out as [Cin/G, G·N, ...].
    // The batch size is taken at run time (it may differ from the probe's).
    const cinG = xShape[1] / group;
    const withSpatial = (lead: number[]) =>
      e.op('Concat', [e.i64(lead), e.op('Slice', [e.shape(x), e.i64([2]), e.i64([n + 2])])], { axis: 0 });
    const xT = group === 1
      ? e.transpose(x, [1, 0, ...range(2, n + 2)])
      : e.reshape(e.transpose(e.reshape(x, withSpatial([-1, group, cinG])), [2, 1, 0, ...range(3, n + 3)]), withSpatial([cinG, -1]));
    const gT = e.transpose(g, [1, 0, ...range(2, n + 2)]);
    let full = e.op('Conv', [xT, gT], { strides: dilations, dilations: strides, pads, group });
    // The result can be larger than the kernel when the forward conv skipped trailing input rows.
    full = e.op('Slice', [full, e.i64(new Array(n).fill(0)), e.i64(kernel), e.i64(range(2, n + 2))]);
    dw = e.transpose(full, [1, 0, ...range(2, n + 2)]);
  }
  if (c.hasInput(2) && c.needsGrad(2)) db = e.sum(g, [0, ...range(2, n + 2)]);
  return [dx, dw, db];
}

/** Kernel, strides, dilations and explicit pads of a pooling node. */
function poolGeometry(c: RuleContext) {
  const kernel = c.attrInts('kernel_shape');
  if (!kernel) throw new Error('kernel_shape is required');
  const n = kernel.length;
  const strides = c.attrInts('strides') ?? new Array(n).fill(1);
  const dilations = c.attrInts('dilations') ?? new Array(n).fill(1);
  return { n, kernel, strides, dilations, pads: explicitPads(c, kernel, strides, dilations) };
}

/** The pooling node's own attributes, to re-run it in the backward graph. */
function poolAttrs(c: RuleContext) {
  const autoPad = c.attrString('auto_pad', 'NOTSET');
  return {
    kernel_shape: c.attrInts('kernel_shape'), strides: c.attrInts('strides'), pads: c.attrInts('pads'),
    dilations: c.attrInts('dilations'), ceil_mode: c.attrInt('ceil_mode', 0) || undefined,
    auto_pad: autoPad === 'NOTSET' ? undefined : autoPad,
    count_include_pad: c.node.opType === 'AveragePool' ? c.attrInt('count_include_pad', 0) || undefined : undefined,
  };
}

/** MaxPool: each output's gradient goes to its argmax, scatter-added into x flattened (windows may overlap). */
function maxPoolGrad(c: RuleContext): string {
  const e = c.e, x = c.input(0), g = c.gradOut()!;
  // Indices are row-major positions in the whole of x (batch and channel included) when storage_order is 0.
  let indices = c.node.output[1];
  if (!indices || c.attrInt('storage_order', 0) !== 0) indices = e.opN('MaxPool', [x], 2, poolAttrs(c))[1];
  const zeros = e.op('ConstantOfShape', [e.reshape(e.op('Size', [x]), [1])], { value: zerosTensor(c.dtype(x)) });
  const flat = e.op('ScatterElements', [zeros, e.reshape(indices, [-1]), e.reshape(g, [-1])], { axis: 0, reduction: 'add' });
  return e.reshape(flat, e.shape(x));
}

/**
 * AveragePool is linear: y = Σ_window x / divisor. Its adjoint spreads g/divisor over each window, a ConvTranspose
 * with a ones kernel on [N·C, 1, ...]. The divisor is taken from the op itself: AveragePool(ones) = valid/divisor,
 * where valid (x elements in the window) is a Conv of ones; this covers count_include_pad, pads and ceil_mode alike.
 */
function averagePoolGrad(c: RuleContext): string {
  const e = c.e, x = c.input(0), g = c.gradOut()!;
  const xShape = c.shape(x), yShape = c.shape(c.output(0)), rank = xShape.length, dtype = c.dtype(x);
  const { n, kernel, strides, dilations, pads } = poolGeometry(c);
  // How far the last window reaches past x's end (ceil_mode can take it beyond the end pad; a stride can stop short).
  const over = range(0, n).map((i) => (yShape[i + 2] - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - pads[i] - xShape[i + 2]);
  const convPads = [...pads.slice(0, n), ...over.map((v) => Math.max(v, 0))];
  const one = makeTensor('', [1], dtype === DT.DOUBLE ? Float64Array.of(1) : Float32Array.of(1), dtype);
  const ones = (shape: string) => e.op('ConstantOfShape', [shape], { value: one });
  const spatial = (v: string) => e.op('Slice', [e.shape(v), e.i64([2]), e.i64([rank])]);
  const kernelOnes = ones(e.i64([1, 1, ...kernel]));
  const onesX = ones(e.op('Concat', [e.i64([1, 1]), spatial(x)], { axis: 0 }));
  const valid = e.op('Conv', [onesX, kernelOnes], { strides, dilations, pads: convPads });
  const perWindow = e.div(e.op('AveragePool', [onesX], poolAttrs(c)), e.op('Max', [valid, c.scalar(1)]));
  const gFolded = e.reshape(e.mul(g, perWindow), e.op('Concat', [e.i64([-1, 1]), spatial(g)], { axis: 0 }));
  const outputPadding = over.map((v) => Math.max(-v, 0));
  const dx = e.op('ConvTranspose', [gFolded, kernelOnes], {
    strides, dilations, pads: convPads, output_padding: outputPadding.some((p) => p !== 0) ? outputPadding : undefined,
  });
  return e.reshape(dx, e.shape(x));
}

export const nnRules: RuleTable = {
  MaxPool: { inputs: [0], grad: (c) => [maxPoolGrad(c)] },
  AveragePool: { inputs: [0], grad: (c) => [averagePoolGrad(c)] },
  Softmax: {
    grad: (c) => {
      const y = c.output(0), g = c.gradOut()!;
      const axis = c.attrInt('axis', -1);
      const gy = c.e.mul(g, y);
      return [c.e.mul(y, c.e.sub(g, c.e.sum(gy, [axis], true)))];
    },
  },
  LogSoftmax: {
    grad: (c) => {
      const y = c.output(0), g = c.gradOut()!;
      const axis = c.attrInt('axis', -1);
      return [c.e.sub(g, c.e.mul(c.e.op('Exp', [y]), c.e.sum(g, [axis], true)))];
    },
  },
  LayerNormalization: {
    // With xc = x - mean, r = 1/sqrt(var + eps) (per row: keepdims shape), gs = g·scale:
    //   dx = r·(gs - mean(gs) - xc·r²·mean(gs·xc)),  dScale = Σ g·xc·r,  dBias = Σ g  (sums over the other axes).
    // Mean and r come from the forward kernel (its optional outputs Mean and InvStdDev, kept in the training graph:
    // RuleContext.savedOutput) when they are float32 as x is; else they are recomputed from x.
    // Full-size passes: xc, gs, g·xc, four for dx, and reads for mean(gs), Σ gs·xc, dScale, dBias.
    grad: (c) => {
      const e = c.e, [x, scale] = [c.input(0), c.input(1)], g = c.gradOut()!;
      if (c.gradOut(1) || c.gradOut(2)) throw new Error('gradients through the Mean and InvStdDev outputs are not supported');
      const xShape = c.shape(x), rank = xShape.length;
      const axes = range(normAxis(c.attrInt('axis', -1), rank), rank);
      const kept = c.dtype(x) === DT.FLOAT && c.attrInt('stash_type', 1) === 1;
      const savedMean = kept ? c.savedOutput(1) : undefined;
      const xc = e.sub(x, savedMean ?? e.mean(x, axes, true));
      const r = (savedMean && c.savedOutput(2))
        ?? e.op('Reciprocal', [e.op('Sqrt', [e.add(e.mean(e.mul(xc, xc), axes, true), c.scalar(c.attrFloat('epsilon', 1e-5)))])]);
      const gxc = c.needsGrad(0) || c.needsGrad(1) ? e.mul(g, xc) : '';
      // Normalizing over the last axis with a [H] scale, the sums of g·xc weighted by scale (over H) and by r (over the
      // rows) are MatMuls: one read of g·xc each, no product written.
      const lastAxis = axes.length === 1 && c.rank(scale) === 1 && c.shape(scale)[0] === xShape[rank - 1];
      let dx: string | undefined;
      if (c.needsGrad(0)) {
        const gs = e.mul(g, scale);
        const meanGsXc = lastAxis
          ? e.div(e.op('MatMul', [gxc, e.reshape(scale, [-1, 1])]), c.scalar(c.shape(scale)[0]))
          : e.mean(e.mul(gxc, scale), axes, true);
        const w = e.mul(e.mul(r, r), meanGsXc);
        dx = e.mul(e.sub(e.sub(gs, e.mean(gs, axes, true)), e.mul(xc, w)), r);
      }
      let dScale: string | undefined;
      if (c.needsGrad(1)) {
        dScale = lastAxis
          ? e.reshape(e.op('MatMul', [e.reshape(r, [1, -1]), e.reshape(gxc, [-1, c.shape(scale)[0]])]), [-1])
          : c.unbroadcastFrom(e.mul(gxc, r), xShape, scale);
      }
      const dBias = c.hasInput(2) && c.needsGrad(2) ? c.unbroadcastFrom(g, xShape, c.input(2)) : undefined;
      return [dx, dScale, dBias];
    },
  },
  InstanceNormalization: {
    // Normalizes each (n, c) over the spatial axes, then scale/bias per channel (nn.InstanceNorm2d, and GroupNorm as
    // exported: a Reshape to [N, G, -1] around an InstanceNormalization with unit scale).
    grad: (c) => {
      const e = c.e, [x, scale] = [c.input(0), c.input(1)], g = c.gradOut()!;
      const rank = c.rank(x), axes = range(2, rank), eps = c.attrFloat('epsilon', 1e-5);
      const perChannel = (v: string) => e.unsqueeze(v, range(1, rank - 1));
      const xc = e.sub(x, e.mean(x, axes, true));
      const invStd = e.op('Reciprocal', [e.op('Sqrt', [e.add(e.mean(e.mul(xc, xc), axes, true), c.scalar(eps))])]);
      const xhat = e.mul(xc, invStd);
      let dx: string | undefined;
      if (c.needsGrad(0)) {
        const dxhat = e.mul(g, perChannel(scale));
        dx = e.mul(invStd, e.sub(e.sub(dxhat, e.mean(dxhat, axes, true)), e.mul(xhat, e.mean(e.mul(dxhat, xhat), axes, true))));
      }
      const channelAxes = [0, ...axes];
      return [dx, c.needsGrad(1) ? e.sum(e.mul(g, xhat), channelAxes) : undefined, c.needsGrad(2) ? e.sum(g, channelAxes) : undefined];
    },
  },
  BatchNormalization: {
    // Inference mode: running mean/var (inputs 3, 4) are fixed statistics, as in a frozen-BN fine-tune.
    inputs: [0, 1, 2],
    grad: (c) => {
      if (c.attrInt('training_mode', 0) !== 0) throw new Error('training_mode=1 is not supported (export the model in eval mode)');
      const e = c.e, [x, scale, , mean, variance] = c.node.input, g = c.gradOut()!;
      const rank = c.rank(x), eps = c.attrFloat('epsilon', 1e-5);
      const perChannel = (v: string) => e.unsqueeze(v, range(1, rank - 1));
      const invStd = e.op('Reciprocal', [e.op('Sqrt', [e.add(variance, c.scalar(eps))])]);
      const reduceAxes = [0, ...range(2, rank)];
      const dx = c.needsGrad(0) ? e.mul(g, perChannel(e.mul(scale, invStd))) : undefined;
      const dScale = c.needsGrad(1)
        ? e.sum(e.mul(g, e.mul(e.sub(x, perChannel(mean)), perChannel(invStd))), reduceAxes) : undefined;
      const dBias = c.needsGrad(2) ? e.sum(g, reduceAxes) : undefined;
      return [dx, dScale, dBias];
    },
  },
  Conv: { grad: convGrad },
  GlobalAveragePool: {
    grad: (c) => {
      // 1/count = size(y)/size(x), taken at run time: the image size may differ from the probe's.
      const e = c.e, x = c.input(0), toX = (v: string) => e.op('Cast', [e.op('Size', [v])], { to: c.dtype(x) });
      const ratio = e.div(toX(c.output(0)), toX(x));
      return [e.op('Expand', [e.mul(c.gradOut()!, ratio), e.shape(x)])];
    },
  },
};
