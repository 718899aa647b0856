import { create } from '@bufbuild/protobuf';
import { NodeProtoSchema, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from 'onnx-buf';
import { attrFloat, attrInt, attrInts, attrString, makeAttributes, toInt64, type Attrs } from '../attributes.js';
import { UserError } from '../errors.js';
import { makeTensor } from '../tensor.js';
import { readValueInfo } from '../value-info.js';
import { subgraphsOf } from '../walk.js';

/** The opset files are upgraded to: the first whose ops the gradient rules are written for. */
export const UPGRADE_TARGET = 13;
export const OLDEST_OPSET = 7;

/**
 * Rewrites what one node of an old opset means in opset 13 terms (the approach of onnx's version converter): returns
 * the replacement nodes, or undefined when the node means the same. `from` is the model's opset.
 */
type Adapter = (node: NodeProto, from: number, u: Upgrader) => NodeProto[] | undefined;

class Upgrader {
  private counter = 0;
  readonly initializers: TensorProto[] = [];
  constructor(private readonly ranks: Map<string, number>) {}

  fresh(hint: string): string { return `upgrade/${hint}_${this.counter++}`; }
  i64(values: number[], dims = [values.length]): string {
    const name = this.fresh('const');
    // Attributes read as numbers round INT64_MAX up to 2^63, which BigInt64Array would wrap to INT64_MIN.
    this.initializers.push(makeTensor(name, dims, BigInt64Array.from(values.map(toInt64))));
    return name;
  }
  f32(value: number): string {
    const name = this.fresh('const');
    this.initializers.push(makeTensor(name, [], Float32Array.of(value)));
    return name;
  }
  rank(value: string): number | undefined { return this.ranks.get(value); }
  /** `node` with new inputs and its attributes minus `drop` plus `add`. */
  with(node: NodeProto, input: string[], drop: string[], add: Attrs = {}): NodeProto {
    return create(NodeProtoSchema, {
      ...node, input,
      attribute: [...node.attribute.filter((a) => !drop.includes(a.name)), ...makeAttributes(add)],
    });
  }
  node(opType: string, input: string[], output: string[], attrs: Attrs = {}, name = this.fresh(opType)): NodeProto {
    return create(NodeProtoSchema, { opType, name, input, output, attribute: makeAttributes(attrs) });
  }
}

/** Attribute → input moves: the attribute's ints become an int64 input at `slot` (optional inputs in between stay empty). */
function intsToInput(names: string[], since: number): Adapter {
  return (node, from, u) => {
    if (from >= since) return undefined;
    const input = [...node.input];
    let changed = false;
    names.forEach((attr, k) => {
      const v = attrInts(node, attr);
      if (!v) return;
      while (input.length < 1 + k) input.push('');
      input[1 + k] = u.i64(v);
      changed = true;
    });
    return changed ? [u.with(node, input, names)] : undefined;
  };
}

/** Softmax, LogSoftmax, Hardmax before 13: flatten to 2-D at `axis` (default 1), apply on the last dim, reshape back. */
const flattenSemantics: Adapter = (node, from, u) => {
  if (from >= 13) return undefined;
  const axis = attrInt(node, 'axis', 1);
  const rank = u.rank(node.input[0]);
  if (axis === -1 || (rank !== undefined && (axis === rank - 1 || axis === -1))) return [u.with(node, node.input, ['axis'], { axis: -1 })];
  const shape = u.fresh('shape'), flat = u.fresh('flat'), y = u.fresh(node.opType);
  return [
    u.node('Shape', [node.input[0]], [shape]),
    u.node('Flatten', [node.input[0]], [flat], { axis }),
    u.with({ ...node, output: [y] }, [flat], ['axis'], { axis: -1 }),
    u.node('Reshape', [y, shape], [node.output[0]], {}, `${node.name}/reshape`),
  ];
};

/** Resize as Upsample (7–9) and Resize 10 computed it: asymmetric coordinates, nearest rounds down. */
function resizeFrom(node: NodeProto, x: string, scales: string, u: Upgrader): NodeProto {
  const mode = attrString(node, 'mode', 'nearest');
  return u.node('Resize', [x, '', scales], [node.output[0]], {
    mode: mode === 'bilinear' ? 'linear' : mode, coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor',
  }, node.name);
}

const ADAPTERS: Record<string, Adapter> = {
  Softmax: flattenSemantics, LogSoftmax: flattenSemantics, Hardmax: flattenSemantics,
  Unsqueeze: intsToInput(['axes'], 13),
  Squeeze: intsToInput(['axes'], 13),
  ReduceSum: intsToInput(['axes'], 13),
  Split: intsToInput(['split'], 13),
  TopK: (node, from, u) => (from >= 10 ? undefined : [u.with(node, [node.input[0], u.i64([attrInt(node, 'k', 1)])], ['k'])]),
  Slice: (node, from, u) => {
    if (from >= 10) return undefined;
    const axes = attrInts(node, 'axes');
    return [u.with(node, [node.input[0], u.i64(attrInts(node, 'starts')!), u.i64(attrInts(node, 'ends')!), ...(axes ? [u.i64(axes)] : [])], ['starts', 'ends', 'axes'])];
  },
  Clip: (node, from, u) => {
    if (from >= 11) return undefined;
    const has = (n: string) => node.attribute.some((a) => a.name === n);
    return [u.with(node, [node.input[0], has('min') ? u.f32(attrFloat(node, 'min', 0)) : '', has('max') ? u.f32(attrFloat(node, 'max', 0)) : ''], ['min', 'max'])];
  },
  Pad: (node, from, u) => {
    if (from >= 11) return undefined;
    const value = attrFloat(node, 'value', 0);
    return [u.with(node, [node.input[0], u.i64(attrInts(node, 'pads') ?? attrInts(node, 'paddings')!), ...(value ? [u.f32(value)] : [])], ['pads', 'paddings', 'value'])];
  },
  Dropout: (node, from, u) => (from >= 12 ? undefined : [u.with(node, node.input.slice(0, 1), ['ratio', 'is_test'])]),
  BatchNormalization: (node, from, u) => {
    if (from >= 9 && node.output.length === 1) return undefined;
    // Inference form: `spatial` (always 1 from exporters) is gone, extra training outputs are dropped.
    return [u.with({ ...node, output: node.output.slice(0, 1) }, node.input, ['spatial', 'is_test', 'consumed_inputs'])];
  },
  Upsample: (node, from, u) => {
    const scales = from < 9 ? u.node('Constant', [], [u.fresh('scales')], { value: makeTensor('', [attrFloats(node).length], Float32Array.from(attrFloats(node))) }) : undefined;
    return [...(scales ? [scales] : []), resizeFrom(node, node.input[0], scales ? scales.output[0] : node.input[1], u)];
  },
  Resize: (node, from, u) => (from >= 11 ? undefined : [resizeFrom(node, node.input[0], node.input[1], u)]),
};

function attrFloats(node: NodeProto): number[] {
  return node.attribute.find((a) => a.name === 'scales')?.floats ?? [];
}


/** Ranks known without running the model: declared shapes, initializers, and ops whose output rank is fixed or kept. */
function knownRanks(graph: GraphProto): Map<string, number> {
  const ranks = new Map<string, number>();
  for (const v of [...graph.input, ...graph.output, ...graph.valueInfo]) {
    const info = readValueInfo(v);
    if (info) ranks.set(v.name, info.dims.length);
  }
  for (const t of graph.initializer) ranks.set(t.name, t.dims.length);
  const sameAsInput = new Set(['Relu', 'Sigmoid', 'Tanh', 'Dropout', 'Identity', 'BatchNormalization', 'LeakyRelu', 'Elu', 'Clip', 'Abs', 'Neg', 'Exp', 'Log', 'Sqrt', 'Softmax', 'LogSoftmax']);
  for (const n of graph.node) {
    const r0 = ranks.get(n.input[0]);
    let r: number | undefined;
    if (n.opType === 'Gemm' || n.opType === 'Flatten') r = 2;
    else if (sameAsInput.has(n.opType)) r = r0;
    else if (['Add', 'Sub', 'Mul', 'Div', 'MatMul'].includes(n.opType)) {
      const r1 = ranks.get(n.input[1]);
      r = r0 !== undefined && r1 !== undefined ? Math.max(r0, r1) : undefined;
    }
    if (r !== undefined && !ranks.has(n.output[0])) ranks.set(n.output[0], r);
  }
  return ranks;
}

function upgradeGraph(graph: GraphProto, from: number, top: GraphProto, changed: Map<string, number>, source: string): void {
  const u = new Upgrader(knownRanks(graph));
  const out: NodeProto[] = [];
  for (const node of graph.node) {
    for (const sub of subgraphsOf(node)) upgradeGraph(sub, from, top, changed, source);
    if (node.domain !== '' && node.domain !== 'ai.onnx') {
      out.push(node);
      continue;
    }
    // Scan 8 had a batch axis that later versions dropped: refused by name rather than mistrained.
    if (node.opType === 'Scan' && from < 9) throw new UserError(`${source}: Scan node '${node.name}' of opset ${from} cannot be upgraded; re-export with opset_version=13 or later`);
    const replaced = ADAPTERS[node.opType]?.(node, from, u);
    if (replaced) changed.set(node.opType, (changed.get(node.opType) ?? 0) + 1);
    out.push(...(replaced ?? [node]));
  }
  graph.node = out;
  top.initializer.push(...u.initializers);
}

/**
 * Upgrades a model of opset 7–12 in place to opset 13 (ops of the default domain; subgraphs too). Returns the
 * rewritten op types with their counts, for the load notes.
 */
export function upgradeModel(model: ModelProto, source = 'model'): Map<string, number> {
  const entry = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  const from = entry ? Number(entry.version) : 0;
  const changed = new Map<string, number>();
  if (!entry || from >= UPGRADE_TARGET) return changed;
  upgradeGraph(model.graph!, from, model.graph!, changed, source);
  entry.version = BigInt(UPGRADE_TARGET);
  if (model.irVersion < 7n) model.irVersion = 7n;
  return changed;
}
