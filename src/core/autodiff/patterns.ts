import { create } from '@bufbuild/protobuf';
import { NodeProtoSchema, type NodeProto, type TensorProto } from 'onnx-buf';
import { isFloatType, tensorValues } from '../onnx/tensor.js';
import { producersOf } from '../onnx/walk.js';
import type { GradRule } from './rule.js';

/**
 * Fused patterns: a group of forward nodes differentiated as a whole, when one formula for the group's gradient takes
 * fewer passes over big tensors than chaining the per-op rules. buildBackward offers each pattern every active node as
 * the group's last node; a match claims the group's nodes (their own rules do not run) and stands in for them with one
 * node (`node`: the group's inputs and its output, its opType naming the pattern in profiles) and a rule for it.
 * A group's inner values must have no consumers outside it (their gradients would be lost): `graph.only` checks that.
 */
export interface Fused {
  nodes: NodeProto[];
  node: NodeProto;
  rule: GradRule;
}

export interface GraphView {
  producer(value: string): NodeProto | undefined;
  /** Whether `value` is read only by `node` (once) and is no graph output. */
  only(value: string, node: NodeProto): boolean;
  /** The value of a one-element float constant (initializer or Constant node), else undefined. */
  scalar(value: string): number | undefined;
}

export type Pattern = (last: NodeProto, graph: GraphView) => Fused | undefined;

export function graphView(nodes: NodeProto[], outputs: string[], constants: Map<string, TensorProto>): GraphView {
  const producers = producersOf(nodes);
  const readers = new Map<string, NodeProto[]>();
  for (const n of nodes) for (const i of n.input) readers.set(i, [...(readers.get(i) ?? []), n]);
  const graphOutputs = new Set(outputs);
  return {
    producer: (v) => producers.get(v),
    only: (v, node) => !graphOutputs.has(v) && readers.get(v)?.length === 1 && readers.get(v)![0] === node,
    scalar: (v) => {
      const t = constants.get(v);
      if (!t || !isFloatType(t.dataType) || t.dims.reduce((a, b) => a * b, 1n) !== 1n) return undefined;
      return Number(tensorValues(t)[0]);
    },
  };
}

/** The operands of a two-input Add/Mul/Div `node` as [tensor, scalar constant] (either order for Add and Mul). */
function withScalar(node: NodeProto | undefined, op: string, graph: GraphView): [string, number] | undefined {
  if (node?.opType !== op || node.input.length !== 2 || (node.domain !== '' && node.domain !== 'ai.onnx')) return undefined;
  const [a, b] = node.input;
  const sb = graph.scalar(b);
  if (sb !== undefined) return [a, sb];
  const sa = op === 'Div' ? undefined : graph.scalar(a);
  return sa !== undefined ? [b, sa] : undefined;
}

/**
 * The outer product m·x·a of a GELU, in any association and operand order: `last`, a Mul, and one inner Mul whose
 * output only `last` reads; their other operands are two tensors and scalar constants (product m).
 */
function mulTree(last: NodeProto, graph: GraphView): { muls: NodeProto[]; m: number; tensors: string[] } | undefined {
  if (last.opType !== 'Mul' || last.input.length !== 2 || (last.domain !== '' && last.domain !== 'ai.onnx')) return undefined;
  const muls = [last];
  const leaves: string[] = [];
  for (const v of last.input) {
    const p = graph.producer(v);
    if (p?.opType === 'Mul' && p.input.length === 2 && muls.length === 1 && graph.only(v, last)) {
      muls.push(p);
      leaves.push(...p.input);
    } else leaves.push(v);
  }
  if (muls.length !== 2) return undefined;
  let m = 1;
  const tensors: string[] = [];
  for (const v of leaves) {
    const s = graph.scalar(v);
    if (s !== undefined) m *= s;
    else tensors.push(v);
  }
  return tensors.length === 2 ? { muls, m, tensors } : undefined;
}

type MulTree = NonNullable<ReturnType<typeof mulTree>>;

/**
 * Each way a GELU's product `tree` splits into x and a = b + op(·) (b a scalar): the Add, b, and the `op` node,
 * where a and op's output are read only inside the group.
 */
function* gates(tree: MulTree, op: string, graph: GraphView): Generator<{ x: string; a: string; add: NodeProto; b: number; inner: NodeProto }> {
  for (const [x, a] of [tree.tensors, [...tree.tensors].reverse()]) {
    const add = graph.producer(a);
    const addOps = withScalar(add, 'Add', graph);
    if (!add || !addOps || !graph.only(a, tree.muls.find((n) => n.input.includes(a))!)) continue;
    const inner = graph.producer(addOps[0]);
    if (inner?.opType === op && graph.only(addOps[0], add)) yield { x, a, add, b: addOps[1], inner };
  }
}

/**
 * erf-GELU as exported by TorchScript: y = m·x·a with a = b + erf(d), d = x/c (or x·s), the two Muls in any
 * association and operand order (`Mul(Mul(x, a), 0.5)`, `Mul(Mul(x, 0.5), a)`, ...), m, b, c scalar constants.
 * dy/dx = m·a + m·x·(2s/√π)·exp(-d²) (s = 1/c), i.e.
 *   dx = (g·m)·(a + k·x/exp(d·d)),  k = 2s/√π
 * (x/exp(d²) rather than x·exp(-d²) saves negating d²; where exp(d²) overflows the term is 0, as it is in float).
 * The product with g·m costs one pass: onnxruntime folds the scalar Mul into the MatMul that usually produces g.
 * - The standard GELU (m = 1/2, b = 1, s = 1/√2) reads x only, recomputing d and a (9 passes): the forward
 *   subgraph then has no other readers and onnxruntime fuses it into its one-pass Gelu kernel, and d and a are not
 *   kept for the backward (BERT-mini: kernel time ~2 ms/step less than the next form, two [B,T,4H] fewer per layer).
 * - Other constants, which onnxruntime does not fuse: from the forward's d and a, 6 passes.
 * The per-op rules take ~9 passes and a Sum of x's two contributions, after the unfused forward's 5.
 */
export const erfGelu: Pattern = (last, graph) => {
  const tree = mulTree(last, graph);
  if (!tree) return undefined;
  const { muls, m } = tree;
  for (const { x, a, add, b, inner: erf } of gates(tree, 'Erf', graph)) {
    const scale = graph.producer(erf.input[0]);
    const div = withScalar(scale, 'Div', graph), mul = withScalar(scale, 'Mul', graph);
    const s = div ? 1 / div[1] : mul?.[1];
    if (!scale || s === undefined || (div ?? mul)![0] !== x || !graph.only(erf.input[0], erf)) continue;
    const d = erf.input[0];
    const y = last.output[0];
    const node = create(NodeProtoSchema, { opType: 'ErfGelu', name: last.name, input: [x], output: [y] });
    return {
      nodes: [scale, erf, add, ...muls],
      node,
      rule: {
        grad: (c) => {
          const e = c.e, g = c.gradOut()!;
          const standard = m === 0.5 && b === 1 && Math.abs(s * Math.SQRT2 - 1) < 1e-6;
          const dd = standard ? e.mul(x, c.scalar(s)) : d;
          const aa = standard ? e.add(e.op('Erf', [dd]), c.scalar(b)) : a;
          const q = e.div(x, e.op('Exp', [e.mul(dd, dd)]));
          const r = e.add(aa, e.mul(q, c.scalar((2 * s) / Math.sqrt(Math.PI))));
          return [e.mul(m === 1 ? g : e.mul(g, c.scalar(m)), r)];
        },
      },
    };
  }
  return undefined;
};

/** If `v` is x³ (`Pow(x, 3)`, `Mul(x, Mul(x, x))` either order), its nodes with x; an inner x² only it reads. */
function cube(v: string, graph: GraphView): { nodes: NodeProto[]; x: string } | undefined {
  const n = graph.producer(v);
  if (!n || n.input.length !== 2 || (n.domain !== '' && n.domain !== 'ai.onnx')) return undefined;
  if (n.opType === 'Pow') return graph.scalar(n.input[1]) === 3 ? { nodes: [n], x: n.input[0] } : undefined;
  if (n.opType !== 'Mul') return undefined;
  for (const [x, sq] of [n.input, [...n.input].reverse()]) {
    const p = graph.producer(sq);
    if (p?.opType === 'Mul' && p.input.length === 2 && p.input[0] === x && p.input[1] === x && graph.only(sq, n)) {
      return { nodes: [p, n], x };
    }
  }
  return undefined;
}

const SQRT_2_PI = Math.sqrt(2 / Math.PI);

/**
 * tanh-GELU as TorchScript exports GPT-2's NewGELUActivation / `gelu(x, approximate='tanh')` written out:
 * y = m·x·a, a = b + t, t = tanh(u), u = k·(x + c·x³) (x³ as `Pow(x, 3)` or `Mul(x, Mul(x, x))`; the outer Muls as
 * erfGelu's, Adds and scalar Muls in either operand order), m, b, k, c scalar constants. With
 * s = x·du/dx = k·x + 3ck·x³ = 3u − 2k·x and 1 − t² = (1 − t)(1 + t):
 *   dx = (g·m)·(a + (1 − t)(1 + t)·s)
 * - The form onnxruntime's FastGeluFusion takes into its one-pass FastGelu kernel (its float32 constants m = 1/2,
 *   b = 1, k = √(2/π), c = 0.044715; x³ as `Pow(x, 3)`; the inner Mul 0.5·x, as Hugging Face's NewGELUActivation
 *   exports) reads x only, recomputing u, t and a (14 passes): the forward then fuses and keeps nothing else.
 * - Otherwise (`Mul(x, Mul(x, x))`, `Mul(Mul(x, a), 0.5)` as the GPT-2 fixture exports, other constants) onnxruntime
 *   does not fuse, the forward computes u and a anyway, and recomputing them only adds passes: from the forward's u
 *   and a, 8 passes (for b = 1, 1 + t is a).
 * Measured on the GPT-2 fixture's training step (B 512 × T 16, 2 threads, session.run median of 19, all three
 * compiled graphs alternated in one process, two runs): as exported, per-op rules 48.2 / 47.8 ms, this saved form
 * 43.1 / 44.9, the x-only form 45.5 / 47.2; with the forward rewritten to the fusable form, per-op 52.4 / 54.8,
 * saved 49.3 / 50.8, x-only (FastGelu forward) 48.4 / 49.7.
 */
export const tanhGelu: Pattern = (last, graph) => {
  const tree = mulTree(last, graph);
  if (!tree) return undefined;
  const { muls, m } = tree;
  for (const { x, a, add, b, inner: tanh } of gates(tree, 'Tanh', graph)) {
    const u = tanh.input[0], scale = graph.producer(u), kOps = withScalar(scale, 'Mul', graph);
    if (!scale || !kOps || !graph.only(u, tanh)) continue;
    const v = kOps[0], sum = graph.producer(v);
    if (sum?.opType !== 'Add' || sum.input.length !== 2 || !graph.only(v, scale)) continue;
    const p = sum.input[0] === x ? sum.input[1] : sum.input[1] === x ? sum.input[0] : undefined;
    const pMul = p === undefined ? undefined : graph.producer(p), cOps = withScalar(pMul, 'Mul', graph);
    if (!pMul || !cOps || !graph.only(p!, sum)) continue;
    const x3 = cube(cOps[0], graph);
    if (!x3 || x3.x !== x || !graph.only(cOps[0], pMul)) continue;
    const k = kOps[1], cc = cOps[1];
    const near = (v: number, w: number) => Math.abs(v - w) < 1e-6;
    const fusable = x3.nodes[0].opType === 'Pow' && muls[1].input.includes(x) && !muls[1].input.includes(a) &&
      m === 0.5 && b === 1 && near(k, SQRT_2_PI) && near(cc, 0.044715);
    const node = create(NodeProtoSchema, { opType: 'TanhGelu', name: last.name, input: [x], output: [last.output[0]] });
    return {
      nodes: [...x3.nodes, pMul, sum, scale, tanh, add, ...muls],
      node,
      rule: {
        grad: (c) => {
          const e = c.e, g = c.gradOut()!;
          let uu = u, tt: string | undefined, aa = a;
          if (fusable) {
            uu = e.mul(x, e.add(e.mul(e.mul(x, x), c.scalar(cc * k)), c.scalar(k))); // u = x·(k + ck·x²)
            tt = e.op('Tanh', [uu]);
            aa = e.add(tt, c.scalar(b));
          }
          const s = e.sub(e.mul(uu, c.scalar(3)), e.mul(x, c.scalar(2 * k)));
          const oneMinusT = tt ? e.sub(c.scalar(1), tt) : e.sub(c.scalar(1 + b), aa);
          const onePlusT = b === 1 ? aa : e.add(aa, c.scalar(1 - b));
          const r = e.add(aa, e.mul(e.mul(oneMinusT, onePlusT), s));
          return [e.mul(m === 1 ? g : e.mul(g, c.scalar(m)), r)];
        },
      },
    };
  }
  return undefined;
};

export const PATTERNS: Pattern[] = [erfGelu, tanhGelu];
