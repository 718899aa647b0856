import type { ModelProto } from 'onnx-buf';
import type { Tensor } from '../checkpoints/safetensors.js';
import { DT, makeTensor, tensorValues } from '../onnx/tensor.js';
import { LORA_PREFIX, peftName, type LoraInjection } from './types.js';

/**
 * Folds the adapters into the base weights of a model `injectLora` rewrote (with their current values): W' = W +
 * (alpha/r)·Aᵀ·Bᵀ for W [in, out] (its transpose for W [out, in]), and takes the LoRA nodes and tensors out again,
 * leaving a plain model with the graph of the original. Changes `model` in place.
 */
export function mergeLora(model: ModelProto, lora: LoraInjection): ModelProto {
  const graph = model.graph!;
  const inits = new Map(graph.initializer.map((t) => [t.name, t]));
  for (const [name, w] of mergedWeights(lora, (n) => tensorValues(inits.get(n)!) as Float32Array)) {
    inits.set(name, makeTensor(name, inits.get(name)!.dims.map(Number), w, DT.FLOAT));
  }
  const adapters = new Set(lora.targets.flatMap((t) => [t.a, t.b]));
  // Each LoRA Add gives its output name back to the node that computes the base value.
  for (const add of graph.node.filter((n) => n.name.startsWith(LORA_PREFIX) && n.opType === 'Add')) {
    graph.node.find((n) => n.output[0] === add.input[0])!.output[0] = add.output[0];
  }
  graph.node = graph.node.filter((n) => !n.name.startsWith(LORA_PREFIX));
  graph.initializer = graph.initializer.filter((t) => !adapters.has(t.name) && !t.name.startsWith(LORA_PREFIX)).map((t) => inits.get(t.name)!);
  return model;
}

/** Each adapted base weight with its adapters folded in: W' = W + (alpha/r)·Aᵀ·Bᵀ (transposed for W [out, in]). */
export function mergedWeights(lora: LoraInjection, valueOf: (name: string) => Float32Array): Map<string, Float32Array> {
  const merged = new Map<string, Float32Array>();
  for (const t of lora.targets) {
    const w = Float32Array.from(valueOf(t.weight));
    const a = valueOf(t.a), b = valueOf(t.b);
    for (let i = 0; i < t.in; i++) {
      for (let o = 0; o < t.out; o++) {
        let s = 0;
        for (let k = 0; k < lora.r; k++) s += a[k * t.in + i] * b[o * lora.r + k];
        w[t.layout === 'in-out' ? i * t.out + o : o * t.in + i] += lora.scale * s;
      }
    }
    merged.set(t.weight, w);
  }
  return merged;
}

/** The adapters in PEFT's safetensors layout (what `lora.init` reads back). */
export function adapterTensors(lora: LoraInjection, values: (name: string) => Float32Array): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const t of lora.targets) {
    out[peftName(t.module, 'A')] = { dtype: 'F32', shape: [lora.r, t.in], data: values(t.a) };
    out[peftName(t.module, 'B')] = { dtype: 'F32', shape: [t.out, lora.r], data: values(t.b) };
  }
  return out;
}

/** Parameters LoRA trains: r·(in + out) per adapted weight. */
export const loraParameterCount = (lora: Pick<LoraInjection, 'targets' | 'r'>) => lora.targets.reduce((n, t) => n + lora.r * (t.in + t.out), 0);
