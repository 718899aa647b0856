/** Small models in other producers' forms (control flow, Constant weights), built in code for the producer tests. */
import { clone, create } from '@bufbuild/protobuf';
import {
  AttributeProtoSchema, AttributeProto_AttributeType as AT, GraphProtoSchema, ModelProtoSchema, NodeProtoSchema,
  type GraphProto, type ModelProto,
} from 'onnx-buf';
import { GraphBuilder } from '../../src/core/onnx/builder.js';
import { DT, makeTensor } from '../../src/core/onnx/tensor.js';

export const weights = (n: number, seed = 1) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7 + i * 1.3) * 0.5);

/**
 * A branch: `fn` emits nodes reading outer values by name; its result becomes the branch output `out`. Its nodes are
 * scoped by `out`, so their names are unique model-wide (ONNX's SSA rule spans subgraphs; ORT refuses a repeat).
 */
export function branch(fn: (b: GraphBuilder) => string, out: string, dims: (number | string)[]): GraphProto {
  const b = new GraphBuilder({ opset: 17 });
  b.output(b.scope(out, () => fn(b)), out, DT.FLOAT, dims);
  return b.build().graph!;
}

/** Gives the (only) node of `opType` in `model` its graph attributes. */
export function attachGraphs(model: ModelProto, opType: string, graphs: Record<string, GraphProto>): ModelProto {
  const node = model.graph!.node.find((n) => n.opType === opType)!;
  for (const [name, g] of Object.entries(graphs)) node.attribute.push(create(AttributeProtoSchema, { name, type: AT.GRAPH, g }));
  return model;
}

/**
 * x[batch,4] → If(cond) { then: x·W₁ ; else: x·W₂ } → out[batch,3]; W₁, W₂ are top-level initializers (read from the
 * branches) unless `constantWeights`, where each branch holds its weight in a Constant node. `cond` is data-dependent
 * (ReduceSum(x) > 0) unless `constCond` gives it.
 */
export function ifClassifier(opts: { constCond?: boolean; constantWeights?: boolean; op?: string; unlike?: boolean } = {}): ModelProto {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DT.FLOAT, ['batch', 4]);
  if (!opts.constantWeights) {
    b.initializer('then.weight', [4, 3], weights(12, 1));
    b.initializer('else.weight', [4, 3], weights(12, 2));
  }
  const cond = opts.constCond === undefined
    ? b.op('Greater', [b.op('ReduceSum', [x], { keepdims: 0 }), b.f32(0)])
    : b.constant(Uint8Array.of(opts.constCond ? 1 : 0) as never, []);
  const y = b.op('If', [cond]);
  b.output(y, 'out', DT.FLOAT, ['batch', 3]);
  const model = b.build();
  if (opts.constCond !== undefined) {
    const c = model.graph!.node.find((n) => n.output[0] === cond)!;
    c.attribute[0].t!.dataType = DT.BOOL;
  }
  // `unlike`: the branches do not declare the same output shape (the If cannot become a Where).
  const arm = (name: string, seed: number) => branch((g) => {
    const w = opts.constantWeights ? g.constant(weights(12, seed), [4, 3]) : name;
    const h = g.op('MatMul', [x, w]);
    return opts.op ? g.op(opts.op, [h]) : h;
  }, `${name}.out`, opts.unlike && seed === 2 ? ['batch', 'k'] : ['batch', 3]);
  return attachGraphs(model, 'If', { then_branch: arm('then.weight', 1), else_branch: arm('else.weight', 2) });
}

/** Paddle2ONNX's form: every initializer becomes a Constant node (first in the graph). */
export function toConstantForm(model: ModelProto): ModelProto {
  const m = clone(ModelProtoSchema, model);
  const g = m.graph!;
  const inits = new Set(g.initializer.map((t) => t.name));
  g.input = g.input.filter((i) => !inits.has(i.name));
  g.node.unshift(...g.initializer.map((t) => create(NodeProtoSchema, {
    opType: 'Constant', name: `const/${t.name}`, output: [t.name],
    attribute: [create(AttributeProtoSchema, { name: 'value', type: AT.TENSOR, t: { ...t, name: '' } })],
  })));
  g.initializer = [];
  return m;
}

/** The whole body (and its Constant weights) inside the then-branch of an If on a constant `true`; the else-branch is a copy. */
export function behindConstantIf(model: ModelProto): ModelProto {
  const m = toConstantForm(model);
  const g = m.graph!;
  const body = (prefix: string): GraphProto => {
    const sub = clone(GraphProtoSchema, g);
    const rename = (n: string) => (n && !g.input.some((i) => i.name === n) ? `${prefix}${n}` : n);
    for (const node of sub.node) {
      node.name = `${prefix}${node.name}`;
      node.input = node.input.map(rename);
      node.output = node.output.map(rename);
    }
    sub.input = [];
    sub.output.forEach((o) => (o.name = rename(o.name)));
    return sub;
  };
  const cond = create(NodeProtoSchema, {
    opType: 'Constant', name: 'cond', output: ['cond'],
    attribute: [create(AttributeProtoSchema, { name: 'value', type: AT.TENSOR, t: makeTensor('', [], Uint8Array.of(1), DT.BOOL) })],
  });
  const ifNode = create(NodeProtoSchema, {
    opType: 'If', name: 'body', input: ['cond'], output: g.output.map((o) => o.name),
    attribute: [
      create(AttributeProtoSchema, { name: 'then_branch', type: AT.GRAPH, g: body('then/') }),
      create(AttributeProtoSchema, { name: 'else_branch', type: AT.GRAPH, g: body('else/') }),
    ],
  });
  g.node = [cond, ifNode];
  return m;
}
