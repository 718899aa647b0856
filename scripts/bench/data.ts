import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelProto } from 'onnx-buf';
import ort from 'onnxruntime-node';
import { Rng } from '../../src/core/onnx/builder.js';
import { numel, tensorValues } from '../../src/core/onnx/tensor.js';

/** One classification batch: token ids (0 = padding), a right-padded attention mask and labels. */
export interface Batch {
  batch: number;
  seq: number;
  inputIds: number[];
  attentionMask: number[];
  labels: number[];
}

/** Random token ids in [1, vocab), each row keeping between half and all of its `seq` positions. */
export function makeBatch(batch: number, seq: number, vocab: number, numLabels: number, seed = 99): Batch {
  const rng = new Rng(seed);
  const inputIds: number[] = [], attentionMask: number[] = [], labels: number[] = [];
  for (let r = 0; r < batch; r++) {
    const len = r === 0 ? seq : Math.ceil(seq / 2) + rng.int(seq - Math.ceil(seq / 2) + 1);
    for (let i = 0; i < seq; i++) {
      inputIds.push(i < len ? 1 + rng.int(vocab - 1) : 0);
      attentionMask.push(i < len ? 1 : 0);
    }
    labels.push(rng.int(numLabels));
  }
  return { batch, seq, inputIds, attentionMask, labels };
}

export function batchFeeds(b: Batch): Record<string, ort.Tensor> {
  const i64 = (v: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), dims);
  return {
    input_ids: i64(b.inputIds, [b.batch, b.seq]),
    attention_mask: i64(b.attentionMask, [b.batch, b.seq]),
    labels: i64(b.labels, [b.batch]),
  };
}

export interface WeightEntry {
  name: string;
  dims: number[];
  /** Offset in float32 elements into weights.bin. */
  offset: number;
  /** `in_out`: a MatMul weight, the transpose of torch's Linear.weight; `torch`: stored as torch stores it. */
  layout: 'in_out' | 'torch';
}

/** Writes the float parameters (weights.bin + weights.json) so the PyTorch baseline starts from the same values. */
export function writeWeights(model: ModelProto, dir: string): void {
  const graph = model.graph!;
  const matmulWeights = new Set(graph.node.filter((n) => n.opType === 'MatMul').map((n) => n.input[1]));
  const params = graph.initializer.filter((t) => t.dataType === 1 && t.dims.length > 0);
  const total = params.reduce((n, t) => n + numel(t.dims), 0);
  const all = new Float32Array(total);
  const entries: WeightEntry[] = [];
  let offset = 0;
  for (const t of params) {
    all.set(tensorValues(t) as Float32Array, offset);
    entries.push({ name: t.name, dims: t.dims.map(Number), offset, layout: matmulWeights.has(t.name) ? 'in_out' : 'torch' });
    offset += numel(t.dims);
  }
  fs.writeFileSync(path.join(dir, 'weights.bin'), new Uint8Array(all.buffer));
  fs.writeFileSync(path.join(dir, 'weights.json'), JSON.stringify(entries));
}
