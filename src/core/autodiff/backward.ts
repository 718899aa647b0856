import { clone } from '@bufbuild/protobuf';
import { NodeProtoSchema, type GraphProto, type NodeProto, type TensorProto } from 'onnx-buf';
import { UserError } from '../onnx/errors.js';
import { isFloatType } from '../onnx/tensor.js';
import { Emitter } from './emitter.js';
import { RuleContext, type GradRule, type ValueInfo } from './rule.js';
import { graphView, PATTERNS } from './patterns.js';
import { RULES } from './rules/index.js';
import { allInputs, outerReferences, subgraphsOf } from '../onnx/walk.js';
import { whereable } from '../onnx/normalize.js';

export interface BackwardOptions {
  /** Name of the scalar loss value. */
  loss: string;
  /** Values (graph inputs, usually trainable parameters) whose gradients are wanted. */
  wrt: string[];
  /** dtype and probe shape of every value in the graph. */
  info: Map<string, ValueInfo>;
  opset: number;
}

export interface BackwardResult {
  nodes: NodeProto[];
  initializers: TensorProto[];
  /** wrt name → name of its gradient value; absent when the value does not affect the loss. */
  grads: Map<string, string>;
  /**
   * Forward nodes (by their first output) that the backward nodes read more outputs of than the model gives them
   * (RuleContext.savedOutput): the node's full output list in the training graph. See withSavedOutputs.
   */
  savedOutputs: Map<string, string[]>;
}

/** The forward nodes of the training graph: those in `saved` with the optional outputs the backward reads. */
export function withSavedOutputs(nodes: NodeProto[], saved: Map<string, string[]>): NodeProto[] {
  return nodes.map((n) => {
    const outputs = saved.get(n.output[0]);
    if (!outputs) return n;
    const copy = clone(NodeProtoSchema, n);
    copy.output = outputs;
    return copy;
  });
}

/**
 * Backward nodes name, in their docString, the forward op they are the gradient of (profiles group kernel time by
 * it: scripts/bench/profile.ts; the compiler recognises the Gather rule's scatter by it).
 */
const GRADIENT_OF = 'gradient of ';

/** The forward op type a backward node is the gradient of ('Sum' for the sum of a value's contributions). */
export function gradientOrigin(node: NodeProto): string | undefined {
  return node.docString.startsWith(GRADIENT_OF) ? node.docString.slice(GRADIENT_OF.length).split(' ')[0] : undefined;
}

export class UnsupportedOpsError extends UserError {
  constructor(readonly nodes: { opType: string; name: string }[]) {
    const byOp = new Map<string, string[]>();
    for (const n of nodes) byOp.set(n.opType, [...(byOp.get(n.opType) ?? []), n.name]);
    const lines = [...byOp].map(([op, names]) => `  ${op} (${names.length}): ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`);
    const flow = nodes.filter((n) => CONTROL_FLOW.has(n.opType));
    const hint = flow.length
      ? `\n${flow[0].opType} node '${flow[0].name}' decides at run time which subgraph runs: set "modelOutput" to a value before it, or make its condition constant`
      : '';
    super(`the model has ops with no gradient rule on the path from the trained parameters to the loss:\n${lines.join('\n')}${hint}`);
  }
}

const CONTROL_FLOW = new Set(['If', 'Loop', 'Scan']);

/** Collects initializers and Constant-node outputs, so rules can read constant axes, shapes and indices. */
export function constantsOf(graph: GraphProto): Map<string, TensorProto> {
  const constants = new Map<string, TensorProto>();
  for (const t of graph.initializer) constants.set(t.name, t);
  for (const n of graph.node) {
    const value = n.opType === 'Constant' ? n.attribute.find((a) => a.name === 'value')?.t : undefined;
    if (value) constants.set(n.output[0], value);
  }
  return constants;
}

/** Ops whose outputs are integers or booleans (or otherwise carry no gradient): a static check can stop at them. */
export const NON_DIFFERENTIABLE = new Set([
  'Shape', 'Size', 'Equal', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf',
  'ArgMax', 'ArgMin', 'NonZero', 'ConstantOfShape', 'Range', 'Constant', 'OneHot', 'TopK', 'EyeLike', 'RandomNormalLike',
  'RandomUniformLike', 'Bernoulli', 'Multinomial',
]);

/**
 * Without running the model: nodes reachable from `params` that have no gradient rule, inside If/Loop/Scan
 * subgraphs too (a control-flow node is reached through any outer value its subgraphs read). Used by
 * `finetune inspect`; training itself decides with exact value types from the probe run.
 */
export function staticUnsupportedOps(graph: GraphProto, params: Iterable<string>): { opType: string; name: string }[] {
  const reached = new Set(params);
  const missing: { opType: string; name: string }[] = [];
  const visit = (g: GraphProto) => {
    for (const node of g.node) {
      if (NON_DIFFERENTIABLE.has(node.opType)) continue;
      if (!dependsOn(node, reached)) continue;
      if (!RULES[node.opType] && !whereable(node)) missing.push({ opType: node.opType, name: node.name || node.output[0] });
      // Inside a reached subgraph, its own inputs (loop counters, scan slices) carry the outer dependency.
      for (const sub of subgraphsOf(node)) {
        for (const i of sub.input) reached.add(i.name);
        visit(sub);
      }
      for (const o of node.output) reached.add(o);
    }
  };
  visit(graph);
  return missing;
}

function differentiableInputs(node: NodeProto): number[] {
  return RULES[node.opType]?.inputs ?? node.input.map((_, i) => i);
}

/** Whether a node's output depends on `values` through a differentiable input or a value its subgraphs read. */
function dependsOn(node: NodeProto, values: Set<string>): boolean {
  if (differentiableInputs(node).some((i) => values.has(node.input[i]))) return true;
  return subgraphsOf(node).length > 0 && outerReferences(node).some((v) => values.has(v));
}

/** Values that depend on `wrt` through differentiable inputs (float values only). */
export function valuesRequiringGrad(graph: GraphProto, wrt: Iterable<string>, info: Map<string, ValueInfo>): Set<string> {
  const requires = new Set(wrt);
  for (const node of graph.node) {
    if (!dependsOn(node, requires)) continue;
    for (const o of node.output) if (o && isFloatType(info.get(o)?.dtype ?? 0)) requires.add(o);
  }
  return requires;
}

/** Values the loss depends on (through any input, subgraph reads included). */
function reachingLoss(graph: GraphProto, loss: string): Set<string> {
  const reaches = new Set([loss]);
  for (let k = graph.node.length - 1; k >= 0; k--) {
    const node = graph.node[k];
    if (node.output.some((o) => reaches.has(o))) for (const i of allInputs(node)) if (i) reaches.add(i);
  }
  return reaches;
}

/**
 * Nodes where the gradient from `wrt` to `loss` dies: a node reads a value that carries a gradient, its outputs carry
 * none (integer/boolean outputs, piecewise-constant ops, a non-differentiable input slot), and yet they reach the
 * loss. When no parameter gets a gradient, these name why.
 */
export function gradientStops(graph: GraphProto, wrt: Iterable<string>, info: Map<string, ValueInfo>, loss: string): NodeProto[] {
  const requires = valuesRequiringGrad(graph, wrt, info);
  const reaches = reachingLoss(graph, loss);
  return graph.node.filter((n) => n.output.some((o) => reaches.has(o)) && !n.output.some((o) => requires.has(o))
    && allInputs(n).some((i) => requires.has(i)));
}

/** Reverse-mode differentiation of `graph` (topologically sorted) from the scalar `loss`. */
export function buildBackward(graph: GraphProto, opts: BackwardOptions): BackwardResult {
  const { info, loss } = opts;
  const requires = valuesRequiringGrad(graph, opts.wrt, info);
  const reaches = reachingLoss(graph, loss);
  const active = graph.node.filter((n) => n.output.some((o) => requires.has(o) && reaches.has(o)));
  const unsupported = active.filter((n) => !RULES[n.opType] || (n.domain !== '' && n.domain !== 'ai.onnx'));
  if (unsupported.length) throw new UnsupportedOpsError(unsupported.map((n) => ({ opType: n.opType, name: n.name || n.output[0] })));

  const e = new Emitter(opts.opset);
  const contributions = new Map<string, string[]>();
  const addGrad = (value: string, g: string) => contributions.set(value, [...(contributions.get(value) ?? []), g]);
  /** The total gradient of a value, summing its contributions once. */
  const gradOf = (value: string): string | undefined => {
    const parts = contributions.get(value);
    if (!parts || parts.length === 0) return undefined;
    if (parts.length > 1) {
      contributions.set(value, [e.op('Sum', parts)]);
      e.nodes.at(-1)!.docString = `${GRADIENT_OF}Sum (contributions)`;
    }
    return contributions.get(value)![0];
  };

  const lossInfo = info.get(loss);
  if (!lossInfo || lossInfo.shape.length !== 0) throw new Error(`loss '${loss}' must be a scalar`);
  addGrad(loss, e.scalar(1, lossInfo.dtype));
  const constants = constantsOf(graph);

  // Fused patterns (patterns.ts) replace their groups by one node with its own rule, placed at the group's last node.
  const view = graphView(graph.node, graph.output.map((o) => o.name), constants);
  const claimed = new Set<NodeProto>();
  const units: { node: NodeProto; rule: GradRule }[] = [];
  for (let k = active.length - 1; k >= 0; k--) {
    const node = active[k];
    if (claimed.has(node)) continue;
    const fused = PATTERNS.map((p) => p(node, view)).find((f) => f && f.nodes.every((n) => !claimed.has(n)));
    for (const n of fused?.nodes ?? []) claimed.add(n);
    units.push(fused ?? { node, rule: RULES[node.opType] });
  }

  const savedOutputs = new Map<string, string[]>();
  for (const { node, rule } of units) {
    const gradOuts = node.output.map((o) => (reaches.has(o) ? gradOf(o) : undefined));
    if (gradOuts.every((g) => g === undefined)) continue;
    const diff = new Set(rule.inputs ?? node.input.map((_, i) => i));
    const needs = node.input.map((name, i) => !!name && diff.has(i) && requires.has(name));
    const keep = (i: number) => {
      const outputs = savedOutputs.get(node.output[0]) ?? [...node.output];
      while (outputs.length <= i) outputs.push('');
      outputs[i] ||= `${node.output[0]}/saved${i}`;
      savedOutputs.set(node.output[0], outputs);
      return outputs[i];
    };
    const ctx = new RuleContext(e, node, gradOuts, needs, info, constants, keep);
    let gradIns: (string | undefined)[];
    const before = e.nodes.length;
    try {
      gradIns = rule.grad(ctx);
      for (let j = before; j < e.nodes.length; j++) e.nodes[j].docString = `${GRADIENT_OF}${node.opType} ${node.name}`;
    } catch (err) {
      throw new UserError(`cannot differentiate ${node.opType} node '${node.name}': ${(err as Error).message}`);
    }
    node.input.forEach((name, i) => {
      if (needs[i] && gradIns[i]) addGrad(name, gradIns[i]!);
    });
  }

  const grads = new Map<string, string>();
  for (const w of opts.wrt) {
    const g = gradOf(w);
    if (g) grads.set(w, g);
  }
  return { nodes: e.nodes, initializers: e.initializers, grads, savedOutputs };
}
