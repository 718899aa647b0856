import { create } from '@bufbuild/protobuf';
import { NodeProtoSchema, type GraphProto, type NodeProto, type TensorProto, type ValueInfoProto } from 'onnx-buf';
import { findAttr } from './attributes.js';
import { DT, makeTensor, tensorValues } from './tensor.js';
import { readValueInfo } from './value-info.js';
import { subgraphsOf } from './walk.js';

/**
 * Other producers' forms → the form autodiff and parameter classification expect, once, on load:
 * `If` nodes with a constant condition are replaced by the branch they take; every `Constant` node (top level and in
 * subgraphs) and every subgraph initializer becomes a top-level initializer (Paddle2ONNX keeps all weights in
 * Constant nodes; ONNX names are unique model-wide, so hoisting keeps every reference valid); graph inputs that
 * merely default an initializer (IR < 4 files list every initializer as an input) stop being inputs.
 * Returns one line per change worth telling the user.
 */
export function normalizeGraph(graph: GraphProto): string[] {
  const notes: string[] = [];
  const folded = foldConstantIfs(graph);
  if (folded.length) notes.push(`If nodes with a constant condition replaced by the branch taken: ${folded.join(', ')}`);
  const hoisted = hoistConstants(graph, graph);
  if (hoisted) notes.push(`${hoisted} Constant-node tensors read as initializers`);
  const inits = new Set(graph.initializer.map((t) => t.name));
  graph.input = graph.input.filter((i) => !inits.has(i.name));
  return notes;
}

/** A Constant node's value as a tensor (value, value_float(s), value_int(s)); undefined for other forms. */
export function constantValue(node: NodeProto): TensorProto | undefined {
  const a = node.attribute[0];
  if (!a) return undefined;
  switch (a.name) {
    case 'value': return a.t;
    case 'value_float': return makeTensor('', [], Float32Array.of(a.f));
    case 'value_floats': return makeTensor('', [a.floats.length], Float32Array.from(a.floats));
    case 'value_int': return makeTensor('', [], BigInt64Array.of(a.i));
    case 'value_ints': return makeTensor('', [a.ints.length], BigInt64Array.from(a.ints));
    default: return undefined;
  }
}

function hoistConstants(g: GraphProto, top: GraphProto): number {
  let n = 0;
  const kept: NodeProto[] = [];
  for (const node of g.node) {
    const value = node.opType === 'Constant' && (node.domain === '' || node.domain === 'ai.onnx') ? constantValue(node) : undefined;
    if (value) {
      top.initializer.push({ ...value, name: node.output[0] });
      n++;
      continue;
    }
    for (const sub of subgraphsOf(node)) n += hoistConstants(sub, top);
    kept.push(node);
  }
  g.node = kept;
  if (g !== top) {
    top.initializer.push(...g.initializer);
    g.initializer = [];
  }
  return n;
}

/**
 * A branch's nodes for the enclosing graph: node names and the values they produce get the prefix (the two branches
 * may reuse names, and both are inlined side by side); returns the nodes and the branch outputs' new names.
 */
function inlineBranch(g: GraphProto, prefix: string): { nodes: NodeProto[]; outputs: string[] } {
  const renamed = new Map<string, string>();
  for (const n of g.node) for (const o of n.output) if (o) renamed.set(o, `${prefix}${o}`);
  const map = (v: string) => renamed.get(v) ?? v;
  const nodes = g.node.map((n) => create(NodeProtoSchema, { ...n, name: `${prefix}${n.name}`, input: n.input.map(map), output: n.output.map(map) }));
  return { nodes, outputs: g.output.map((o) => map(o.name)) };
}

/** The boolean value of a constant scalar condition, or undefined when it is computed at run time. */
function constantCondition(name: string, graph: GraphProto): boolean | undefined {
  const init = graph.initializer.find((t) => t.name === name);
  const node = init ? undefined : graph.node.find((n) => n.opType === 'Constant' && n.output[0] === name);
  const t = init ?? (node ? constantValue(node) : undefined);
  if (!t || t.dims.reduce((a, b) => a * Number(b), 1) !== 1) return undefined;
  const v = tensorValues(t);
  return t.dataType === DT.BOOL || typeof v[0] !== 'bigint' ? Number(v[0]) !== 0 : v[0] !== 0n;
}

/** Replaces every top-level If whose condition is a constant with its branch's nodes; returns the folded node names. */
function foldConstantIfs(graph: GraphProto): string[] {
  const folded: string[] = [];
  let changed = true;
  while (changed) {
    changed = false;
    const out: NodeProto[] = [];
    for (const node of graph.node) {
      const cond = node.opType === 'If' ? constantCondition(node.input[0], graph) : undefined;
      const branch = cond === undefined ? undefined : findAttr(node, cond ? 'then_branch' : 'else_branch')?.g;
      if (!branch) {
        out.push(node);
        continue;
      }
      const side = cond ? 'then' : 'else';
      // Names stay (weights keep their names for freeze globs): only this branch joins the graph.
      out.push(...branch.node);
      graph.initializer.push(...branch.initializer);
      branch.output.forEach((o, i) => {
        if (node.output[i]) out.push(create(NodeProtoSchema, { opType: 'Identity', name: `${node.name}/${side}/${i}`, input: [o.name], output: [node.output[i]] }));
      });
      folded.push(node.name || node.output[0]);
      changed = true;
    }
    graph.node = out;
  }
  return folded;
}

/**
 * Streaming and exported-with-a-sample models often fix the batch at 1 (`[1,16,96]`): such inputs (rank ≥ 2) and the
 * outputs and value_info fixed alike get a symbolic batch. Returns the relaxed input names; if the graph itself
 * depends on the batch being 1 (a Reshape to a constant shape), the first run with a larger batch says so.
 */
/** Marks (in docString) an input whose batch was relaxed, so a later failure can name it. */
export const RELAXED_BATCH = 'batch relaxed from a fixed 1';

export function relaxFixedBatch(graph: GraphProto): string[] {
  const relaxed: string[] = [];
  const fixedOne = (v: ValueInfoProto) => {
    const t = v.type?.value.case === 'tensorType' ? v.type.value.value : undefined;
    const d0 = t?.shape?.dim[0];
    return t && t.shape!.dim.length >= 2 && d0?.value.case === 'dimValue' && d0.value.value === 1n ? t.shape!.dim[0] : undefined;
  };
  for (const v of graph.input) {
    const d = fixedOne(v);
    if (!d) continue;
    d.value = { case: 'dimParam', value: 'batch' };
    v.docString = RELAXED_BATCH;
    relaxed.push(v.name);
  }
  if (!relaxed.length) return relaxed;
  for (const v of graph.output) {
    const d = fixedOne(v);
    if (d) d.value = { case: 'dimParam', value: 'batch' };
  }
  graph.valueInfo = graph.valueInfo.filter((v) => !fixedOne(v));
  return relaxed;
}

/**
 * A data-dependent If whose branches are pure and declare outputs shaped alike becomes both branches inlined and
 * `Where(cond, then, else)` per output: the same values, and the gradient flows through the branch taken (Where
 * passes it to the chosen side only). Used on the training graph only; the exported model keeps the If.
 * Returns the names of the Ifs rewritten.
 */
export function ifToWhere(graph: GraphProto): string[] {
  const rewritten: string[] = [];
  const out: NodeProto[] = [];
  for (const node of graph.node) {
    const thenG = node.opType === 'If' ? findAttr(node, 'then_branch')?.g : undefined;
    const elseG = node.opType === 'If' ? findAttr(node, 'else_branch')?.g : undefined;
    if (!thenG || !elseG || !whereable(node)) {
      out.push(node);
      continue;
    }
    const [t, f] = [thenG, elseG].map((g, k) => {
      graph.initializer.push(...g.initializer);
      const inlined = inlineBranch(g, `${node.name || node.output[0]}/${k ? 'else' : 'then'}/`);
      out.push(...inlined.nodes);
      return inlined.outputs;
    });
    node.output.forEach((o, i) => {
      if (o) out.push(create(NodeProtoSchema, { opType: 'Where', name: `${node.name}/where/${i}`, input: [node.input[0], t[i], f[i]], output: [o] }));
    });
    rewritten.push(node.name || node.output[0]);
  }
  graph.node = out;
  return rewritten;
}

/** Whether ifToWhere can rewrite this If (pure branches declaring alike outputs). */
export function whereable(node: NodeProto): boolean {
  const [t, f] = ['then_branch', 'else_branch'].map((n) => findAttr(node, n)?.g);
  return node.opType === 'If' && !!t && !!f && branchesAlike(t, f) && pure(t) && pure(f);
}

const IMPURE = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Bernoulli', 'Multinomial']);

function pure(g: GraphProto): boolean {
  return g.node.every((n) => !IMPURE.has(n.opType) && subgraphsOf(n).length === 0);
}

/** Both branches declare every output with the same element type and the same dims (names or numbers). */
function branchesAlike(a: GraphProto, b: GraphProto): boolean {
  if (a.output.length !== b.output.length) return false;
  return a.output.every((o, i) => {
    const x = readValueInfo(o), y = readValueInfo(b.output[i]);
    return !!x && !!y && x.elemType === y.elemType && x.dims.length === y.dims.length && x.dims.every((d, k) => d === y.dims[k] && d !== '?');
  });
}
