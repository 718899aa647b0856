import type { RuleContext, RuleTable } from '../rule.js';

/** Rules for ops whose gradient is g·f'(x), written with the output y where that is cheaper. */
const unary = (derivative: (c: RuleContext, g: string, x: string, y: string) => string): RuleTable[string] => ({
  inputs: [0],
  grad: (c) => [derivative(c, c.gradOut()!, c.input(0), c.output(0))],
});

/** No differentiable inputs: gradients stop here (the node is never on a differentiated path). */
const nonDifferentiable: RuleTable[string] = { inputs: [], grad: () => [] };

/** g where x > 0, else `negative` (the gradient on the other side). */
const positiveOr = (c: RuleContext, g: string, x: string, negative: string) =>
  c.e.op('Where', [c.e.op('Greater', [x, c.scalar(0)]), g, negative]);

/** g where `cond` holds, else 0. */
const gate = (c: RuleContext, cond: string, g: string) => c.e.op('Where', [cond, g, c.scalar(0)]);

export const elementwiseRules: RuleTable = {
  // Only the inputs that need a gradient: an unused ReduceSum still runs (frozen biases, attention masks).
  Add: { grad: (c) => [0, 1].map((i) => (c.needsGrad(i) ? c.unbroadcast(c.gradOut()!, c.input(i)) : undefined)) },
  // Negated after unbroadcasting (on the often much smaller input-shaped gradient), as Mul by -1: ORT's Neg kernel is
  // ~3x slower than Mul on big tensors.
  Sub: {
    grad: (c) => [
      c.needsGrad(0) ? c.unbroadcast(c.gradOut()!, c.input(0)) : undefined,
      c.needsGrad(1) ? c.e.mul(c.unbroadcast(c.gradOut()!, c.input(1)), c.scalar(-1, c.input(1))) : undefined,
    ],
  },
  Mul: {
    grad: (c) => {
      const [a, b] = [c.input(0), c.input(1)], g = c.gradOut()!;
      return [c.needsGrad(0) ? c.unbroadcast(c.e.mul(g, b), a) : undefined, c.needsGrad(1) ? c.unbroadcast(c.e.mul(g, a), b) : undefined];
    },
  },
  Div: {
    grad: (c) => {
      const [a, b] = [c.input(0), c.input(1)], g = c.gradOut()!;
      return [
        c.needsGrad(0) ? c.unbroadcast(c.e.div(g, b), a) : undefined,
        c.needsGrad(1) ? c.unbroadcast(c.e.neg(c.e.div(c.e.mul(g, c.output(0)), b)), b) : undefined,
      ];
    },
  },
  Pow: {
    grad: (c) => {
      const [a, b] = [c.input(0), c.input(1)], g = c.gradOut()!;
      const bf = c.dtype(b) === c.dtype(a) ? b : c.e.op('Cast', [b], { to: c.dtype(a) });
      const da = c.needsGrad(0)
        ? c.unbroadcast(c.e.mul(g, c.e.mul(bf, c.e.op('Pow', [a, c.e.sub(bf, c.scalar(1, a))]))), a) : undefined;
      const db = c.needsGrad(1)
        ? c.unbroadcast(c.e.mul(g, c.e.mul(c.output(0), c.e.op('Log', [a]))), b) : undefined;
      return [da, db];
    },
  },
  Neg: unary((c, g) => c.e.neg(g)),
  Identity: unary((_c, g) => g),
  Sqrt: unary((c, g, _x, y) => c.e.div(c.e.mul(g, c.scalar(0.5)), y)),
  Exp: unary((c, g, _x, y) => c.e.mul(g, y)),
  Log: unary((c, g, x) => c.e.div(g, x)),
  Reciprocal: unary((c, g, _x, y) => c.e.neg(c.e.mul(g, c.e.mul(y, y)))),
  Abs: unary((c, g, x) => c.e.mul(g, c.e.op('Sign', [x]))),
  Sin: unary((c, g, x) => c.e.mul(g, c.e.op('Cos', [x]))),
  Cos: unary((c, g, x) => c.e.neg(c.e.mul(g, c.e.op('Sin', [x])))),
  Tan: unary((c, g, _x, y) => c.e.mul(g, c.e.add(c.scalar(1), c.e.mul(y, y)))),
  Atan: unary((c, g, x) => c.e.div(g, c.e.add(c.scalar(1), c.e.mul(x, x)))),
  Asin: unary((c, g, x) => c.e.div(g, c.e.op('Sqrt', [c.e.sub(c.scalar(1), c.e.mul(x, x))]))),
  Acos: unary((c, g, x) => c.e.neg(c.e.div(g, c.e.op('Sqrt', [c.e.sub(c.scalar(1), c.e.mul(x, x))])))),
  Sinh: unary((c, g, x) => c.e.mul(g, c.e.op('Cosh', [x]))),
  Cosh: unary((c, g, x) => c.e.mul(g, c.e.op('Sinh', [x]))),
  Asinh: unary((c, g, x) => c.e.div(g, c.e.op('Sqrt', [c.e.add(c.e.mul(x, x), c.scalar(1))]))),
  Acosh: unary((c, g, x) => c.e.div(g, c.e.op('Sqrt', [c.e.sub(c.e.mul(x, x), c.scalar(1))]))),
  Atanh: unary((c, g, x) => c.e.div(g, c.e.sub(c.scalar(1), c.e.mul(x, x)))),
  Erf: unary((c, g, x) =>
    // d/dx erf(x) = 2/sqrt(pi) * exp(-x^2); -x^2 as x·(x·-1): ORT's Neg kernel is ~3x slower than Mul on big tensors
    c.e.mul(g, c.e.mul(c.scalar(2 / Math.sqrt(Math.PI)), c.e.op('Exp', [c.e.mul(x, c.e.mul(x, c.scalar(-1)))])))),
  Tanh: unary((c, g, _x, y) => c.e.mul(g, c.e.sub(c.scalar(1), c.e.mul(y, y)))),
  Sigmoid: unary((c, g, _x, y) => c.e.mul(g, c.e.mul(y, c.e.sub(c.scalar(1), y)))),
  Softplus: unary((c, g, x) => c.e.mul(g, c.e.op('Sigmoid', [x]))),
  Relu: unary((c, g, x) => gate(c, c.e.op('Greater', [x, c.scalar(0)]), g)),
  // Exponential units, written with y on the x <= 0 side: Elu y + α, Selu y + γα, Celu y/α + 1 (= exp(x/α)).
  Elu: unary((c, g, x, y) => positiveOr(c, g, x, c.e.mul(g, c.e.add(y, c.scalar(c.attrFloat('alpha', 1)))))),
  Selu: unary((c, g, x, y) => {
    const alpha = c.attrFloat('alpha', 1.67326319217681884765625), gamma = c.attrFloat('gamma', 1.05070102214813232421875);
    return c.e.op('Where', [c.e.op('Greater', [x, c.scalar(0)]), c.e.mul(g, c.scalar(gamma)),
      c.e.mul(g, c.e.add(y, c.scalar(gamma * alpha)))]);
  }),
  Celu: unary((c, g, x, y) =>
    positiveOr(c, g, x, c.e.mul(g, c.e.add(c.e.div(y, c.scalar(c.attrFloat('alpha', 1))), c.scalar(1))))),
  PRelu: {
    grad: (c) => {
      const [x, slope] = [c.input(0), c.input(1)], g = c.gradOut()!;
      const positive = c.e.op('Greater', [x, c.scalar(0)]);
      return [
        c.needsGrad(0) ? c.e.op('Where', [positive, g, c.e.mul(g, slope)]) : undefined,
        c.needsGrad(1) ? c.unbroadcast(c.e.op('Where', [positive, c.scalar(0), c.e.mul(g, x)]), slope) : undefined,
      ];
    },
  },
  LeakyRelu: unary((c, g, x) => {
    const alpha = c.attrFloat('alpha', 0.01);
    return c.e.op('Where', [c.e.op('Greater', [x, c.scalar(0)]), g, c.e.mul(g, c.scalar(alpha))]);
  }),
  HardSigmoid: unary((c, g, x) => {
    const alpha = c.attrFloat('alpha', 0.2), beta = c.attrFloat('beta', 0.5);
    const z = c.e.add(c.e.mul(x, c.scalar(alpha)), c.scalar(beta));
    const inside = c.e.op('And', [c.e.op('Greater', [z, c.scalar(0)]), c.e.op('Less', [z, c.scalar(1)])]);
    return gate(c, inside, c.e.mul(g, c.scalar(alpha)));
  }),
  HardSwish: unary((c, g, x) => {
    // PyTorch: x < -3 → 0; x <= 3 → g·(x/3 + 1/2); else g
    const mid = c.e.mul(g, c.e.add(c.e.div(x, c.scalar(3)), c.scalar(0.5)));
    const upper = c.e.op('Where', [c.e.op('LessOrEqual', [x, c.scalar(3)]), mid, g]);
    return c.e.op('Where', [c.e.op('Less', [x, c.scalar(-3)]), c.e.zerosLike(x, c.dtype(x)), upper]);
  }),
  Gelu: unary((c, g, x) => {
    const s = (v: number) => c.scalar(v);
    if (c.attrString('approximate', 'none') === 'tanh') {
      // y = 0.5x(1 + tanh(u)), u = k(x + 0.044715x^3), k = sqrt(2/pi)
      const k = Math.sqrt(2 / Math.PI);
      const x2 = c.e.mul(x, x);
      const u = c.e.mul(s(k), c.e.add(x, c.e.mul(s(0.044715), c.e.mul(x2, x))));
      const t = c.e.op('Tanh', [u]);
      const du = c.e.mul(s(k), c.e.add(s(1), c.e.mul(s(3 * 0.044715), x2)));
      const left = c.e.mul(s(0.5), c.e.add(s(1), t));
      const right = c.e.mul(c.e.mul(s(0.5), x), c.e.mul(c.e.sub(s(1), c.e.mul(t, t)), du));
      return c.e.mul(g, c.e.add(left, right));
    }
    // y = x·Φ(x): dy = Φ(x) + x·φ(x)
    const cdf = c.e.mul(s(0.5), c.e.add(s(1), c.e.op('Erf', [c.e.mul(x, s(Math.SQRT1_2))])));
    const pdf = c.e.mul(s(1 / Math.sqrt(2 * Math.PI)), c.e.op('Exp', [c.e.mul(s(-0.5), c.e.mul(x, x))]));
    return c.e.mul(g, c.e.add(cdf, c.e.mul(x, pdf)));
  }),
  // Inference-mode dropout is the identity; the mask output carries no gradient.
  Dropout: unary((_c, g) => g),
  Cast: unary((c, g, x) => c.e.op('Cast', [g], { to: c.dtype(x) })),
  Clip: {
    grad: (c) => {
      // PyTorch clamp: x's gradient passes where min <= x <= max; a tensor bound gets g where it clipped x.
      const x = c.input(0), g = c.gradOut()!;
      const bound = (i: number, attr: string) => {
        if (c.hasInput(i)) return c.input(i);
        const attrValue = c.opset < 11 ? c.node.attribute.find((a) => a.name === attr)?.f : undefined;
        return attrValue !== undefined ? c.scalar(attrValue) : undefined;
      };
      const [lo, hi] = [bound(1, 'min'), bound(2, 'max')];
      const conds = [lo && c.e.op('GreaterOrEqual', [x, lo]), hi && c.e.op('LessOrEqual', [x, hi])].filter((v): v is string => !!v);
      const keep = conds.length === 2 ? c.e.op('And', conds) : conds[0];
      return [
        c.needsGrad(0) ? (keep ? gate(c, keep, g) : g) : undefined,
        c.needsGrad(1) && lo ? c.unbroadcast(gate(c, c.e.op('Less', [x, lo]), g), lo) : undefined,
        c.needsGrad(2) && hi ? c.unbroadcast(gate(c, c.e.op('Greater', [x, hi]), g), hi) : undefined,
      ];
    },
  },
  Where: {
    inputs: [1, 2],
    grad: (c) => {
      const [cond, a, b] = [c.input(0), c.input(1), c.input(2)], g = c.gradOut()!;
      const zero = c.scalar(0, c.output(0));
      return [
        undefined,
        c.needsGrad(1) ? c.unbroadcast(c.e.op('Where', [cond, g, zero]), a) : undefined,
        c.needsGrad(2) ? c.unbroadcast(c.e.op('Where', [cond, zero, g]), b) : undefined,
      ];
    },
  },
  Sum: { grad: (c) => c.node.input.map((x, i) => (c.needsGrad(i) ? c.unbroadcast(c.gradOut()!, x) : undefined)) },
  Mean: {
    grad: (c) => {
      const g = c.e.div(c.gradOut()!, c.scalar(c.node.input.length, c.output(0)));
      return c.node.input.map((x, i) => (c.needsGrad(i) ? c.unbroadcast(g, x) : undefined));
    },
  },
  Max: { grad: (c) => extremumGrad(c) },
  Min: { grad: (c) => extremumGrad(c) },
  // Piecewise-constant ops: zero gradient almost everywhere, so they stop the backward pass.
  Sign: nonDifferentiable,
  Floor: nonDifferentiable,
  Ceil: nonDifferentiable,
  Round: nonDifferentiable,
};

/** Max/Min: the gradient goes to the inputs equal to the result, split evenly on ties (as torch.maximum). */
function extremumGrad(c: RuleContext): (string | undefined)[] {
  const y = c.output(0), dtype = c.dtype(y);
  const hits = c.node.input.map((x) => c.e.op('Cast', [c.e.op('Equal', [x, y])], { to: dtype }));
  const count = hits.length === 1 ? hits[0] : c.e.op('Sum', hits);
  const share = c.e.div(c.gradOut()!, count);
  return c.node.input.map((x, i) => (c.needsGrad(i) ? c.unbroadcast(c.e.mul(share, hits[i]), x) : undefined));
}
