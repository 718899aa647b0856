import type { RuleContext, RuleTable } from '../rule.js';

/** ReduceSum/ReduceMean: broadcast g back over the reduced axes (scaled by 1/count for the mean). */
function reduceGrad(c: RuleContext, mean: boolean): string {
  const e = c.e, x = c.input(0), y = c.output(0);
  const rank = c.rank(x);
  const axes = c.axes(1);
  const all = !axes || axes.length === 0;
  if (all && c.attrInt('noop_with_empty_axes', 0) === 1) return c.gradOut()!;
  let g = c.gradOut()!;
  if (c.attrInt('keepdims', 1) === 0) {
    g = e.unsqueeze(g, all ? Array.from({ length: rank }, (_, i) => i) : axes.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b));
  }
  if (mean) {
    // count = size(x)/size(y), taken at run time so dynamic dims stay right.
    const ratio = e.div(e.op('Cast', [e.op('Size', [y])], { to: c.dtype(x) }), e.op('Cast', [e.op('Size', [x])], { to: c.dtype(x) }));
    g = e.mul(g, ratio);
  }
  return e.op('Expand', [g, e.shape(x)]);
}

/**
 * ReduceMax/ReduceMin: g goes to the elements equal to the result, shared evenly between ties (torch.amax/amin's
 * gradient; a unique extremum, the usual case, gets all of it as with torch.max(dim)).
 */
function extremumGrad(c: RuleContext): string {
  const axes = c.axes(1), all = !axes || axes.length === 0;
  return pointwiseReduceGrad(c, (x, y) => {
    const mask = c.e.op('Cast', [c.e.op('Equal', [x, y])], { to: c.dtype(x) });
    return c.e.div(mask, c.e.sum(mask, all ? Array.from({ length: c.rank(x) }, (_, i) => i) : axes, true));
  });
}

/**
 * The reductions whose gradient is g·f(x, y) elementwise (y the result): y and g brought back to x's rank when
 * keepdims is 0, then broadcast against x.
 */
function pointwiseReduceGrad(c: RuleContext, local: (x: string, y: string) => string): string {
  const e = c.e, x = c.input(0), rank = c.rank(x);
  const axes = c.axes(1);
  const all = !axes || axes.length === 0;
  if (all && c.attrInt('noop_with_empty_axes', 0) === 1) return c.gradOut()!;
  let y = c.output(0), g = c.gradOut()!;
  if (c.attrInt('keepdims', 1) === 0) {
    const kept = all ? Array.from({ length: rank }, (_, i) => i) : axes.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
    y = e.unsqueeze(y, kept);
    g = e.unsqueeze(g, kept);
  }
  return e.mul(g, local(x, y));
}

/**
 * ReduceProd: ∂y/∂x_i is the product of the others, taken without dividing by x_i (as torch.prod): p = the product of
 * the slice's non-zero values; no zero in the slice: p/x_i; one zero: p at that zero, 0 elsewhere; more: 0.
 */
function prodGrad(c: RuleContext): string {
  const axes = c.axes(1), all = !axes || axes.length === 0;
  return pointwiseReduceGrad(c, (x) => {
    const e = c.e, reduced = all ? Array.from({ length: c.rank(x) }, (_, i) => i) : axes;
    const zero = e.op('Equal', [x, c.scalar(0)]);
    const nonZeroProd = e.reduce('ReduceProd', e.op('Where', [zero, c.scalar(1), x]), reduced, true);
    const zeros = e.sum(e.op('Cast', [zero], { to: c.dtype(x) }), reduced, true);
    const atOnlyZero = e.op('And', [zero, e.op('Equal', [zeros, c.scalar(1)])]);
    const withOneZero = e.op('Where', [atOnlyZero, nonZeroProd, c.scalar(0)]);
    return e.op('Where', [e.op('Equal', [zeros, c.scalar(0)]), e.div(nonZeroProd, e.op('Where', [zero, c.scalar(1), x])), withOneZero]);
  });
}

export const reduceRules: RuleTable = {
  ReduceProd: { inputs: [0], grad: (c) => [prodGrad(c)] },
  // ‖x‖₂: x/y, and 0 for an all-zero slice (as torch.norm's gradient).
  ReduceL2: {
    inputs: [0],
    grad: (c) => [pointwiseReduceGrad(c, (x, y) =>
      c.e.op('Where', [c.e.op('Equal', [y, c.scalar(0)]), c.scalar(0), c.e.div(x, y)]))],
  },
  ReduceL1: { inputs: [0], grad: (c) => [pointwiseReduceGrad(c, (x) => c.e.op('Sign', [x]))] },
  ReduceSumSquare: { inputs: [0], grad: (c) => [pointwiseReduceGrad(c, (x) => c.e.mul(x, c.scalar(2)))] },
  // log Σ exp x: softmax of x over the axes.
  ReduceLogSumExp: { inputs: [0], grad: (c) => [pointwiseReduceGrad(c, (x, y) => c.e.op('Exp', [c.e.sub(x, y)]))] },
  ReduceMax: { inputs: [0], grad: (c) => [extremumGrad(c)] },
  ReduceMin: { inputs: [0], grad: (c) => [extremumGrad(c)] },
  ReduceSum: { inputs: [0], grad: (c) => [reduceGrad(c, false)] },
  ReduceMean: { inputs: [0], grad: (c) => [reduceGrad(c, true)] },
  CumSum: {
    inputs: [0],
    // y_i = Σ_{j≤i} x_j (j<i when exclusive), so dx_j = Σ_{i≥j} g_i: the same cumsum run the other way.
    grad: (c) => [c.e.op('CumSum', [c.gradOut()!, c.input(1)], {
      exclusive: c.attrInt('exclusive', 0) || undefined, reverse: c.attrInt('reverse', 0) ? undefined : 1,
    })],
  },
};
