/**
 * Float64 forwards, written from the ONNX operator specs, for the ops whose onnxruntime CPU kernels are float-only
 * (Conv, AveragePool, GlobalAveragePool, Mean, Gelu, Erf, HardSigmoid, HardSwish, Elu, Selu, Celu,
 * InstanceNormalization, the trigonometric and hyperbolic functions), and LayerNormalization, whose float32 gradient
 * takes another path (the kernel's saved statistics) than its float64 one. The gradient checker
 * differentiates these numerically in double, so a float32 rule is checked at rtol 1e-5 instead of float32's 1e-2.
 */
import { F, type Attrs } from '../../src/core/onnx/attributes.js';

export interface Tensor64 { data: Float64Array; shape: number[] }
export type ReferenceOp = (inputs: (Tensor64 | null)[], attrs: Attrs) => Tensor64;

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
// FLOAT attributes are float32 in the model: round them as the kernel sees them.
const num = (v: unknown, dflt: number) => (v === undefined ? dflt : v instanceof F ? Math.fround(v.value) : Number(v));
const list = (v: unknown, n: number, dflt: number) => (Array.isArray(v) ? v.map(Number) : new Array(n).fill(dflt));
const str = (v: unknown, dflt: string) => (v === undefined ? dflt : String(v));

/** erf by its Maclaurin series: exact to ~1e-15 for |x| ≤ 3 (every input the checks use). */
export function erf(x: number): number {
  if (Math.abs(x) > 3) throw new Error(`reference erf: |x| = ${Math.abs(x)} > 3`);
  let term = x, sum = x;
  for (let n = 1; n < 200 && Math.abs(term) > 1e-18; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const unary = (f: (x: number, attrs: Attrs) => number): ReferenceOp => ([x], attrs) =>
  ({ data: x!.data.map((v) => f(v, attrs)), shape: x!.shape });

function broadcastShape(shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => Math.max(...shapes.map((s) => s[s.length - rank + i] ?? 1)));
}

/** Index into `shape` (right-aligned, size-1 dims broadcast) of the flat index `i` of `out`. */
function broadcastIndex(i: number, out: number[], shape: number[]): number {
  let index = 0, stride = 1;
  for (let d = out.length - 1, e = shape.length - 1; d >= 0; d--, e--) {
    const coord = i % out[d];
    i = Math.floor(i / out[d]);
    if (e >= 0) {
      if (shape[e] !== 1) index += coord * stride;
      stride *= shape[e];
    }
  }
  return index;
}

/** Window geometry shared by Conv and AveragePool: output size and the padding before each spatial dim. */
function windows(input: number[], kernel: number[], attrs: Attrs, ceil: boolean) {
  const r = kernel.length;
  const strides = list(attrs.strides, r, 1), dilations = list(attrs.dilations, r, 1);
  const autoPad = str(attrs.auto_pad, 'NOTSET');
  let pads = list(attrs.pads, 2 * r, 0);
  const span = kernel.map((k, i) => (k - 1) * dilations[i] + 1);
  let out: number[];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    out = input.map((n, i) => Math.ceil(n / strides[i]));
    const total = out.map((o, i) => Math.max(0, (o - 1) * strides[i] + span[i] - input[i]));
    const head = total.map((t) => (autoPad === 'SAME_UPPER' ? Math.floor(t / 2) : t - Math.floor(t / 2)));
    pads = [...head, ...total.map((t, i) => t - head[i])];
  } else {
    if (autoPad === 'VALID') pads = new Array(2 * r).fill(0);
    out = input.map((n, i) => {
      const room = n + pads[i] + pads[i + r] - span[i];
      let o = (ceil ? Math.ceil(room / strides[i]) : Math.floor(room / strides[i])) + 1;
      if (ceil && (o - 1) * strides[i] >= n + pads[i]) o--; // the last window must start inside the input or its head padding
      return o;
    });
  }
  return { out, pads, strides, dilations, r };
}

/** Calls f(outIndex, coords) for each output position of the spatial grid `out`. */
function eachPosition(out: number[], f: (flat: number, coords: number[]) => void) {
  const coords = new Array(out.length).fill(0);
  for (let flat = 0; flat < numel(out); flat++) {
    let rest = flat;
    for (let d = out.length - 1; d >= 0; d--) {
      coords[d] = rest % out[d];
      rest = Math.floor(rest / out[d]);
    }
    f(flat, coords);
  }
}

const spatialOffset = (pos: number[], dims: number[]) => pos.reduce((acc, p, d) => acc * dims[d] + p, 0);

const conv: ReferenceOp = ([x, w, b], attrs) => {
  const [N, C, ...inDims] = x!.shape;
  const [M, Cg, ...kernel] = w!.shape;
  const group = num(attrs.group, 1);
  const g = windows(inDims, kernel, attrs, false);
  const outPlane = numel(g.out), inPlane = numel(inDims), kPlane = numel(kernel);
  const y = new Float64Array(N * M * outPlane);
  for (let n = 0; n < N; n++) for (let m = 0; m < M; m++) {
    const first = Math.floor(m / (M / group)) * Cg;
    eachPosition(g.out, (o, oc) => {
      let acc = b ? b.data[m] : 0;
      eachPosition(kernel, (k, kc) => {
        const pos = kc.map((kk, d) => oc[d] * g.strides[d] + kk * g.dilations[d] - g.pads[d]);
        if (pos.some((p, d) => p < 0 || p >= inDims[d])) return;
        const at = spatialOffset(pos, inDims);
        for (let c = 0; c < Cg; c++) acc += x!.data[(n * C + first + c) * inPlane + at] * w!.data[(m * Cg + c) * kPlane + k];
      });
      y[(n * M + m) * outPlane + o] = acc;
    });
  }
  return { data: y, shape: [N, M, ...g.out] };
};

const averagePool: ReferenceOp = ([x], attrs) => {
  const [N, C, ...inDims] = x!.shape;
  const kernel = list(attrs.kernel_shape, inDims.length, 1);
  const g = windows(inDims, kernel, attrs, num(attrs.ceil_mode, 0) === 1);
  const includePad = num(attrs.count_include_pad, 0) === 1;
  const outPlane = numel(g.out), inPlane = numel(inDims);
  const y = new Float64Array(N * C * outPlane);
  for (let nc = 0; nc < N * C; nc++) {
    eachPosition(g.out, (o, oc) => {
      let acc = 0, count = 0;
      eachPosition(kernel, (_k, kc) => {
        const pos = kc.map((kk, d) => oc[d] * g.strides[d] + kk * g.dilations[d] - g.pads[d]);
        const inside = pos.every((p, d) => p >= 0 && p < inDims[d]);
        const inPadded = pos.every((p, d) => p >= -g.pads[d] && p < inDims[d] + g.pads[d + g.r]);
        if (inside) acc += x!.data[nc * inPlane + spatialOffset(pos, inDims)];
        if (includePad ? inPadded : inside) count++;
      });
      y[nc * outPlane + o] = acc / count;
    });
  }
  return { data: y, shape: [N, C, ...g.out] };
};

const globalAveragePool: ReferenceOp = ([x]) => {
  const [N, C, ...spatial] = x!.shape;
  const plane = numel(spatial);
  const y = new Float64Array(N * C);
  for (let i = 0; i < N * C; i++) for (let j = 0; j < plane; j++) y[i] += x!.data[i * plane + j] / plane;
  return { data: y, shape: [N, C, ...spatial.map(() => 1)] };
};

const mean: ReferenceOp = (inputs) => {
  const xs = inputs.filter((t): t is Tensor64 => t !== null);
  const shape = broadcastShape(xs.map((t) => t.shape));
  const data = new Float64Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = xs.reduce((s, t) => s + t.data[broadcastIndex(i, shape, t.shape)], 0) / xs.length;
  return { data, shape };
};

const hardSigmoid = (v: number, attrs: Attrs) => Math.max(0, Math.min(1, num(attrs.alpha, 0.2) * v + num(attrs.beta, 0.5)));

/** InstanceNormalization: each (n, c) slice normalized over the spatial axes (biased variance), then scale and bias. */
function instanceNorm([x, scale, bias]: (Tensor64 | null)[], attrs: Attrs): Tensor64 {
  const [n, ch] = x!.shape, span = numel(x!.shape.slice(2)), eps = num(attrs.epsilon, 1e-5);
  const out = new Float64Array(x!.data.length);
  for (let s = 0; s < n * ch; s++) {
    const v = x!.data.subarray(s * span, (s + 1) * span);
    const mu = v.reduce((a, b) => a + b, 0) / span;
    const variance = v.reduce((a, b) => a + (b - mu) ** 2, 0) / span;
    const c = s % ch;
    v.forEach((e, i) => (out[s * span + i] = ((e - mu) / Math.sqrt(variance + eps)) * scale!.data[c] + bias!.data[c]));
  }
  return { data: out, shape: x!.shape };
}

/** LayerNormalization over the axes from `axis` on; scale and bias shaped like those axes. */
function layerNorm([x, scale, bias]: (Tensor64 | null)[], attrs: Attrs): Tensor64 {
  const rank = x!.shape.length, axis = num(attrs.axis, -1) < 0 ? num(attrs.axis, -1) + rank : num(attrs.axis, -1);
  const span = numel(x!.shape.slice(axis)), eps = num(attrs.epsilon, 1e-5);
  const out = new Float64Array(x!.data.length);
  for (let s = 0; s < x!.data.length / span; s++) {
    const v = x!.data.subarray(s * span, (s + 1) * span);
    const mu = v.reduce((a, b) => a + b, 0) / span;
    const variance = v.reduce((a, b) => a + (b - mu) ** 2, 0) / span;
    v.forEach((e, i) => (out[s * span + i] = ((e - mu) / Math.sqrt(variance + eps)) * scale!.data[i] + (bias ? bias.data[i] : 0)));
  }
  return { data: out, shape: x!.shape };
}

const SELU = { alpha: 1.67326319217681884765625, gamma: 1.05070102214813232421875 };

export const REFERENCE_OPS: Record<string, ReferenceOp> = {
  InstanceNormalization: instanceNorm,
  LayerNormalization: layerNorm,
  ...Object.fromEntries((['tan', 'atan', 'asin', 'acos', 'sinh', 'cosh', 'asinh', 'acosh', 'atanh'] as const)
    .map((f) => [f[0].toUpperCase() + f.slice(1), unary((v) => Math[f](v))])),
  Elu: unary((v, attrs) => (v > 0 ? v : num(attrs.alpha, 1) * Math.expm1(v))),
  Selu: unary((v, attrs) => num(attrs.gamma, SELU.gamma) * (v > 0 ? v : num(attrs.alpha, SELU.alpha) * Math.expm1(v))),
  Celu: unary((v, attrs) => Math.max(0, v) + Math.min(0, num(attrs.alpha, 1) * Math.expm1(v / num(attrs.alpha, 1)))),
  Conv: conv,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
  Mean: mean,
  Erf: unary((v) => erf(v)),
  Gelu: unary((v, attrs) => (str(attrs.approximate, 'none') === 'tanh'
    ? 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))
    : 0.5 * v * (1 + erf(v / Math.SQRT2)))),
  HardSigmoid: unary(hardSigmoid),
  HardSwish: unary((v) => v * hardSigmoid(v, { alpha: 1 / 6, beta: 0.5 })),
};
