// Examples → batch tensors.
import type { Batch, HostTensor, ModelInput } from './types.js';

/** One model input of one example: flat values and shape (without the batch dim). */
export interface Feature {
  data: ArrayLike<number>;
  shape: number[];
}

export interface Example {
  features: Record<string, Feature>;
  /** Class id, regression target(s), or nothing (causal-lm). */
  label?: number | number[];
  /** See Batch.examples. */
  example?: string;
}

export type LabelKind = 'class' | 'target' | 'target-vector' | 'lm';

/** Stacks examples into [B, ...] tensors of each input's dtype; labels per `labelKind`. */
export function collate(examples: Example[], inputs: ModelInput[], labelKind: LabelKind): Batch {
  const B = examples.length;
  const tensors: Record<string, HostTensor> = {};
  for (const input of inputs) {
    const feats = padToLongest(examples.map((e) => e.features[input.name]));
    const shape = feats[0].shape;
    const per = shape.reduce((a, b) => a * b, 1);
    if (input.type === 'int64') {
      const data = new BigInt64Array(B * per);
      feats.forEach((f, i) => {
        for (let k = 0; k < per; k++) data[i * per + k] = BigInt(f.data[k]);
      });
      tensors[input.name] = { type: 'int64', data, dims: [B, ...shape] };
    } else {
      const data = new Float32Array(B * per);
      feats.forEach((f, i) => data.set(f.data, i * per));
      tensors[input.name] = { type: 'float32', data, dims: [B, ...shape] };
    }
  }
  const batch: Batch = { inputs: tensors, labels: labelTensor(examples, labelKind, tensors), size: B };
  if (examples.some((e) => e.example !== undefined)) batch.examples = examples.map((e) => e.example);
  return batch;
}

function labelTensor(examples: Example[], kind: LabelKind, inputs: Record<string, HostTensor>): HostTensor {
  const B = examples.length;
  if (kind === 'lm') {
    if (!inputs.input_ids) throw new Error('causal-lm needs an input_ids input');
    return inputs.input_ids;
  }
  if (kind === 'class') return { type: 'int64', data: BigInt64Array.from(examples, (e) => BigInt(e.label as number)), dims: [B] };
  const rows = examples.map((e) => [e.label as number | number[]].flat());
  const K = rows[0].length;
  if (rows.some((r) => r.length !== K)) throw new Error('regression targets of different lengths in one batch');
  return { type: 'float32', data: Float32Array.from(rows.flat()), dims: kind === 'target' && K === 1 ? [B] : [B, K] };
}

/**
 * Same-shape features pass through. Pre-tokenized sequences of different lengths (a dynamic sequence dim) are
 * right-padded with 0 to the longest in the batch; the attention mask, padded the same way, masks them out.
 */
function padToLongest(feats: Feature[]): Feature[] {
  const key = (f: Feature) => f.shape.join(',');
  if (feats.every((f) => key(f) === key(feats[0]))) return feats;
  if (feats.some((f) => f.shape.length !== 1)) throw new Error(`examples of different shapes in one batch: ${[...new Set(feats.map((f) => `[${key(f)}]`))].join(' vs ')}`);
  const L = Math.max(...feats.map((f) => f.shape[0]));
  return feats.map((f) => {
    const data = new Array<number>(L).fill(0);
    for (let i = 0; i < f.shape[0]; i++) data[i] = f.data[i];
    return { data, shape: [L] };
  });
}
