import { create } from '@bufbuild/protobuf';
import { NodeProtoSchema, type GraphProto, type ModelProto, type NodeProto } from 'onnx-buf';
import { Emitter } from '../autodiff/emitter.js';
import { cloneSharingInitializers, defaultOpset } from '../onnx/model.js';
import { DT, makeTensor } from '../onnx/tensor.js';
import { LORA_PREFIX, type LoraInjection, type LoraSpec, type LoraTarget } from './types.js';

/** Adapter values by initializer name (A [r, in], B [out, r], row-major). */
export type AdapterValues = Map<string, Float32Array>;

/**
 * Adds LoRA adapters to a prepared model: A and B become new initializers (the only new parameters) and every
 * MatMul/Gemm reading a targeted weight W gets `+ (alpha/r)·((x·Aᵀ)·Bᵀ)` on its output, after the Linear's bias
 * add when there is one (as PEFT adds to the base layer's result). W itself is untouched. `targets` come from
 * loraTargets on the same graph.
 */
export function injectLora(prepared: ModelProto, spec: LoraSpec, targets: LoraTarget[], init: AdapterValues): { model: ModelProto; lora: LoraInjection } {
  const model = cloneSharingInitializers(prepared);
  const graph = model.graph!;
  const lora: LoraInjection = { targets, r: spec.r, scale: spec.alpha / spec.r };
  const opset = defaultOpset(model);
  for (const t of targets) {
    graph.initializer.push(makeTensor(t.a, [spec.r, t.in], init.get(t.a)!, DT.FLOAT), makeTensor(t.b, [t.out, spec.r], init.get(t.b)!, DT.FLOAT));
    const readers = graph.node.filter((n) => (n.opType === 'MatMul' || n.opType === 'Gemm') && n.input[1] === t.weight);
    for (const [k, node] of readers.entries()) {
      const prefix = `${LORA_PREFIX}${t.module}${k ? `#${k}` : ''}`;
      const e = new Emitter(opset, prefix);
      const x = node.input[0];
      const down = e.op('MatMul', [x, e.transpose(t.a, [1, 0])]);
      const up = e.op('MatMul', [down, e.transpose(t.b, [1, 0])]);
      const delta = e.mul(up, e.scalar(lora.scale, DT.FLOAT));
      const hook = biasAdd(graph, node) ?? node;
      const y = hook.output[0];
      hook.output[0] = e.fresh('base');
      e.nodes.push(create(NodeProtoSchema, { opType: 'Add', name: `${prefix}/add`, input: [hook.output[0], delta], output: [y] }));
      // Before the first reader of y: the graph stays topologically sorted.
      const at = graph.node.findIndex((n) => n.input.includes(y));
      graph.node.splice(at < 0 ? graph.node.length : at, 0, ...e.nodes);
      graph.initializer.push(...e.initializers);
    }
  }
  return { model, lora };
}

/** The `Add(MatMul(x, W), bias)` that follows a Linear's MatMul, when the MatMul has no other reader. */
function biasAdd(graph: GraphProto, node: NodeProto): NodeProto | undefined {
  if (node.opType !== 'MatMul') return undefined;
  const readers = graph.node.filter((n) => n.input.includes(node.output[0]));
  const add = readers[0];
  if (readers.length !== 1 || add.opType !== 'Add' || add.input[0] !== node.output[0]) return undefined;
  return graph.initializer.some((t) => t.name === add.input[1]) ? add : undefined;
}
