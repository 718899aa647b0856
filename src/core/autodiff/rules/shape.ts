import { zerosTensor } from '../../onnx/tensor.js';
import type { RuleContext, RuleTable } from '../rule.js';

/** Ops that only move elements around: the gradient is g reshaped back to the input's runtime shape. */
const reshapeBack: RuleTable[string] = { inputs: [0], grad: (c) => [c.e.reshape(c.gradOut()!, c.e.shape(c.input(0)))] };

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

function inversePerm(perm: number[]): number[] {
  const inv = new Array(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** Slice's adjoint: pad g back to the input's shape (steps of 1), or scatter it through an index map (any step). */
function sliceGrad(c: RuleContext): string {
  const e = c.e, x = c.input(0), g = c.gradOut()!;
  const rank = c.rank(x);
  const steps = c.hasInput(4) ? c.constInts(c.input(4)) : undefined;
  if (c.hasInput(4) && (!steps || steps.some((s) => s !== 1))) {
    const size = e.op('Size', [x]);
    const index = e.reshape(e.op('Range', [e.i64([0], []), size, e.i64([1], [])]), e.shape(x));
    const picked = e.reshape(e.op('Slice', [index, ...c.node.input.slice(1)]), [-1]);
    const zeros = e.op('ConstantOfShape', [e.reshape(size, [1])], { value: zerosTensor(c.dtype(c.output(0))) });
    const flat = e.op('ScatterElements', [zeros, picked, e.reshape(g, [-1])], { axis: 0 });
    return e.reshape(flat, e.shape(x));
  }
  // Runtime pads: begin = clamp(start), end = dim - clamp(end), with negative starts/ends counted from the end.
  const nAxes = c.shape(c.input(1))[0];
  let axes = c.hasInput(3) ? c.input(3) : e.i64(Array.from({ length: nAxes }, (_, i) => i));
  const zero = e.i64([0], []);
  axes = e.op('Where', [e.op('Less', [axes, zero]), e.add(axes, e.i64([rank], [])), axes]);
  const dims = e.op('Gather', [e.shape(x), axes]);
  const clampIndex = (v: string) => {
    const fromEnd = e.op('Where', [e.op('Less', [v, zero]), e.add(v, dims), v]);
    return e.op('Max', [e.op('Min', [fromEnd, dims]), zero]);
  };
  const begin = clampIndex(c.input(1));
  const end = e.op('Max', [clampIndex(c.input(2)), begin]);
  const pads = e.op('ScatterElements', [
    e.i64(new Array(2 * rank).fill(0)),
    e.op('Concat', [axes, e.add(axes, e.i64([rank], []))], { axis: 0 }),
    e.op('Concat', [begin, e.sub(dims, end)], { axis: 0 }),
  ], { axis: 0 });
  return e.op('Pad', [g, pads]);
}

/** Pad's adjoint: constant mode crops g by the same pads (Pad with negated pads); other modes scatter-add g through
 * the index map of the padding, so edge/reflect/wrap copies send their gradient back to the element they copy. */
function padGrad(c: RuleContext): (string | undefined)[] {
  const e = c.e, x = c.input(0), g = c.gradOut()!;
  if (!c.hasInput(1)) throw new Error('pads given as an attribute (opset < 11) are not supported');
  const axes = c.hasInput(3) ? ['', c.input(3)] : [];
  const mode = c.attrString('mode', 'constant');
  if (mode === 'constant') {
    const dx = e.op('Pad', [g, e.neg(c.input(1)), ...axes]);
    // The fill value's gradient is g summed over the padding: all of g minus the part cropped back into dx.
    const all = (v: string) => e.sum(v, range(0, c.rank(x)));
    return [dx, undefined, c.needsGrad(2) ? e.reshape(e.sub(all(g), all(dx)), e.shape(c.input(2))) : undefined];
  }
  const size = e.op('Size', [x]);
  const index = e.reshape(e.op('Range', [e.i64([0], []), size, e.i64([1], [])]), e.shape(x));
  const picked = e.reshape(e.op('Pad', [index, c.input(1), ...axes], { mode }), [-1]);
  const zeros = e.op('ConstantOfShape', [e.reshape(size, [1])], { value: zerosTensor(c.dtype(x)) });
  const flat = e.op('ScatterElements', [zeros, picked, e.reshape(g, [-1])], { axis: 0, reduction: 'add' });
  return [e.reshape(flat, e.shape(x))];
}

/** Tile's adjoint: g viewed as [r0, d0, r1, d1, ...] summed over the repeat axes. */
function tileGrad(c: RuleContext): string {
  const e = c.e, x = c.input(0), rank = c.rank(x);
  const repeats = c.constInts(c.input(1));
  if (!repeats) throw new Error(`Tile node '${c.node.name}': repeats computed at runtime are not supported`);
  const dim = (i: number) => e.op('Gather', [e.shape(x), e.i64([i])]);
  const split = e.op('Concat', range(0, rank).flatMap((i) => [e.i64([repeats[i]]), dim(i)]), { axis: 0 });
  return e.sum(e.reshape(c.gradOut()!, split), range(0, rank).map((i) => 2 * i), false);
}

export const shapeRules: RuleTable = {
  Tile: { inputs: [0], grad: (c) => [tileGrad(c)] },
  // PixelShuffle (CRD) and its DCR form; SpaceToDepth (pixel_unshuffle's DCR layout) is DCR's inverse, and the
  // reverse. CRD's channels are c·b² + i·b + j where SpaceToDepth puts them at (i·b + j)·C + c: one transpose apart.
  DepthToSpace: {
    inputs: [0],
    grad: (c) => {
      const e = c.e, x = c.input(0), b = c.attrInt('blocksize', 1);
      const back = e.op('SpaceToDepth', [c.gradOut()!], { blocksize: b });
      if (c.attrString('mode', 'DCR') === 'DCR') return [back];
      const groups = e.reshape(back, [0, b * b, c.shape(x)[1] / (b * b), -1]);
      return [e.reshape(e.transpose(groups, [0, 2, 1, 3]), e.shape(x))];
    },
  },
  SpaceToDepth: { inputs: [0], grad: (c) => [c.e.op('DepthToSpace', [c.gradOut()!], { blocksize: c.attrInt('blocksize', 1) })] },
  // triu/tril: the same mask applied to g.
  Trilu: { inputs: [0], grad: (c) => [c.e.op('Trilu', [c.gradOut()!, ...c.node.input.slice(1)], { upper: c.attrInt('upper', 1) })] },
  Reshape: reshapeBack,
  Flatten: reshapeBack,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
  Transpose: {
    grad: (c) => {
      const perm = c.attrInts('perm') ?? Array.from({ length: c.rank(c.input(0)) }, (_, i) => c.rank(c.input(0)) - 1 - i);
      return [c.e.transpose(c.gradOut()!, inversePerm(perm))];
    },
  },
  Expand: { inputs: [0], grad: (c) => [c.unbroadcast(c.gradOut()!, c.input(0))] },
  Concat: {
    grad: (c) => {
      const e = c.e, axis = c.attrInt('axis', 0);
      const normAxis = axis < 0 ? axis + c.rank(c.output(0)) : axis;
      const sizes = e.op('Concat', c.node.input.map((x) => e.op('Gather', [e.shape(x), e.i64([normAxis])])), { axis: 0 });
      return e.opN('Split', [c.gradOut()!, sizes], c.node.input.length, { axis });
    },
  },
  Split: {
    inputs: [0],
    grad: (c) => {
      const parts = c.node.output.map((_, i) => c.gradOutOrZeros(i));
      return [c.e.op('Concat', parts, { axis: c.attrInt('axis', 0) })];
    },
  },
  Slice: { inputs: [0], grad: (c) => [sliceGrad(c)] },
  Pad: { inputs: [0, 2], grad: padGrad },
};
