import { create } from '@bufbuild/protobuf';
import { ValueInfoProtoSchema, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from 'onnx-buf';
import ort from 'onnxruntime-node';
import type { ValueInfo } from './autodiff/rule.js';
import { UserError } from './onnx/errors.js';
import { defaultOpset, serializeModel } from './onnx/model.js';
import { DT, floatView } from './onnx/tensor.js';
import { makeValueInfo } from './onnx/value-info.js';
import { Emitter } from './autodiff/emitter.js';

export type Feeds = Record<string, ort.Tensor>;

/** ORT's tensor type names → ONNX data types. */
export const ORT_TYPES: Record<string, number> = {
  float32: DT.FLOAT, float64: DT.DOUBLE, int64: DT.INT64, int32: DT.INT32, bool: DT.BOOL, uint8: DT.UINT8, int8: DT.INT8, float16: DT.FLOAT16,
};

/**
 * Float32 initializers of at least this many bytes are fed to ONNX Runtime as input tensors over their own bytes
 * instead of being protobuf-encoded into the model: encoding BERT-base's 440 MB took ~5 s per session.
 */
export const FEED_BYTES = 4096;

/** A large float32 initializer as an ORT tensor over its raw bytes (see FEED_BYTES), else undefined. */
export function initializerFeed(t: TensorProto): ort.Tensor | undefined {
  if (t.dataType !== DT.FLOAT || t.rawData.length < FEED_BYTES) return undefined;
  return new ort.Tensor('float32', floatView(t), t.dims.map(Number));
}

/** No graph rewrites, and idle workers sleep (see the training sessions' options). */
const PROBE_OPTIONS: ort.InferenceSession.SessionOptions = {
  graphOptimizationLevel: 'disabled', extra: { session: { intra_op: { allow_spinning: '0' } } },
};

/**
 * Runs the graph once to learn every value's shape; types come from ONNX Runtime's type inference (a session whose
 * outputs are all the values, created but not run). In the run, only one small tensor leaves ORT: every value's
 * rank and dims, concatenated along a chain (see shapeChain). Making every value an output instead (the obvious
 * probe) keeps all activations alive until the run ends and copies each to JS: gigabytes at BERT-base, page-faulted
 * afresh (~15 s where first touches of memory are slow) against ~2 s for the forward itself. Large initializers are
 * fed as tensors over their own bytes instead of being serialized (see initializerFeed).
 */
export async function probeShapes(graph: GraphProto, model: ModelProto, feeds: Feeds): Promise<Map<string, ValueInfo>> {
  const info = new Map<string, ValueInfo>();
  for (const t of graph.initializer) info.set(t.name, { dtype: t.dataType, shape: t.dims.map(Number) });
  for (const [name, t] of Object.entries(feeds)) info.set(name, { dtype: ORT_TYPES[t.type] ?? 0, shape: [...t.dims] });
  const values: string[] = [];
  for (const n of graph.node) for (const name of n.output) if (name && !info.has(name)) values.push(name);

  const declared = new Set(graph.input.map((i) => i.name));
  const sessionFeeds: Feeds = {};
  const input = [...graph.input], initializer: TensorProto[] = [];
  for (const t of graph.initializer) {
    const feed = feeds[t.name] ? undefined : initializerFeed(t);
    if (!feed) initializer.push(t);
    else {
      sessionFeeds[t.name] = feed;
      if (!declared.has(t.name)) input.push(makeValueInfo(t.name, t.dataType, t.dims.map(Number)));
    }
  }
  for (const i of graph.input) {
    if (feeds[i.name]) sessionFeeds[i.name] = feeds[i.name];
    else if (!sessionFeeds[i.name] && !info.has(i.name)) throw new UserError(`the batch has no value for model input '${i.name}'`);
  }
  const withOutputs = (node: NodeProto[], extra: TensorProto[], outputs: string[]): Uint8Array => serializeModel({
    ...model,
    graph: { ...graph, node, initializer: [...initializer, ...extra], input, output: outputs.map((name) => create(ValueInfoProtoSchema, { name })), valueInfo: [] },
  });

  const types = new Map<string, string>();
  const typing = await ort.InferenceSession.create(withOutputs(graph.node, [], values), PROBE_OPTIONS);
  for (const m of typing.outputMetadata) if (m.isTensor) types.set(m.name, m.type);
  await typing.release();

  const tensors = values.filter((v) => types.has(v));
  if (tensors.length === 0) return info;
  const chain = shapeChain(tensors, defaultOpset(model));
  const session = await ort.InferenceSession.create(withOutputs([...graph.node, ...chain.nodes], chain.initializers, [chain.output]), PROBE_OPTIONS);
  try {
    const result = await session.run(sessionFeeds);
    const flat = Array.from(result[chain.output].data as BigInt64Array, Number);
    let at = 0;
    for (const name of tensors) {
      const rank = flat[at++];
      info.set(name, { dtype: ORT_TYPES[types.get(name)!] ?? 0, shape: flat.slice(at, at + rank) });
      at += rank;
    }
  } finally {
    await session.release();
  }
  return info;
}

/**
 * Nodes computing [rank, ...dims] of each value, concatenated value after value: acc_k = Concat(acc_k-1, Shape(Shape(v_k)), Shape(v_k)).
 * The chain also orders the run. ORT runs nodes in a reverse depth-first order from the graph's leaves, last
 * leaf first and an input of higher index before one of lower; acc_N is the last node, and each acc_k has a higher
 * index than the Shape nodes it reads, so each value's Shape runs as soon as the value exists. Were the Shape
 * nodes leaves of their own, ORT would run the whole forward first and them at the end, every value kept alive.
 */
function shapeChain(values: string[], opset: number): { nodes: NodeProto[]; initializers: TensorProto[]; output: string } {
  const e = new Emitter(opset, PROBE);
  const reads: string[][] = values.map((v) => {
    const dims = e.op('Shape', [v]);
    return [e.op('Shape', [dims]), dims];
  });
  let acc = e.op('Concat', reads[0], { axis: 0 });
  for (const r of reads.slice(1)) acc = e.op('Concat', [acc, ...r], { axis: 0 });
  return { nodes: e.nodes, initializers: e.initializers, output: acc };
}

/** Prefix of the probe's own nodes and values. */
const PROBE = 'shape-probe';
