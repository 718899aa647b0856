// A batch as single rows, for graphs that only run with a batch of 1 (see TrainingSession's row-by-row mode).
import ort from 'onnxruntime-node';
import { LABELS, type Feeds, type Task } from './training-graph.js';

type Data = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Int8Array;

/** Rows in a batch: the labels' first dim, else the first feed's. */
export function batchRows(feeds: Feeds): number {
  return (feeds[LABELS] ?? Object.values(feeds)[0])?.dims[0] ?? 1;
}

/** Row `i` of every feed whose first dim is the batch (other feeds as they are). */
export function rowOf(feeds: Feeds, i: number): Feeds {
  const n = batchRows(feeds);
  const out: Feeds = {};
  for (const [name, t] of Object.entries(feeds)) {
    if (t.dims[0] !== n || typeof t.data === 'string') {
      out[name] = t;
      continue;
    }
    const size = t.size / n;
    out[name] = new ort.Tensor(t.type as 'float32', (t.data as Data).slice(i * size, (i + 1) * size) as Float32Array, [1, ...t.dims.slice(1)]);
  }
  return out;
}

/**
 * Each row's share of the batch's mean loss, so that Σ share·(row loss) and Σ share·(row gradient) are the batch's:
 * 1/N for losses averaged over rows alike (cross-entropy, BCE, MSE); for the causal-LM loss, averaged over the
 * positions the attention mask keeps, the row's kept next-token positions over the batch's.
 */
export function rowShares(feeds: Feeds, task: Task): number[] {
  const n = batchRows(feeds);
  const mask = task === 'causal-lm' ? (feeds.attention_mask ?? feeds.input_ids) : undefined;
  if (!mask) return Array.from({ length: n }, () => 1 / n);
  const t = mask.dims[1] ?? 1;
  const data = mask.data as Data;
  const kept = Array.from({ length: n }, (_, r) => {
    if (!feeds.attention_mask) return t - 1;
    let k = 0;
    for (let j = 1; j < t; j++) k += Number(data[r * t + j]) !== 0 ? 1 : 0;
    return k;
  });
  const total = kept.reduce((a, b) => a + b, 0);
  return kept.map((k) => k / total);
}

/** Row results stacked back into one batch tensor (along the first dim). */
export function stackRows(rows: ort.Tensor[]): ort.Tensor {
  if (rows.length === 1) return rows[0];
  const first = rows[0];
  const data = rows.map((r) => r.data as Data);
  const Ctor = (data[0] as Float32Array).constructor as new (n: number) => Data;
  const out = new Ctor(data.reduce((n, d) => n + d.length, 0));
  let offset = 0;
  for (const d of data) {
    (out as Float32Array).set(d as Float32Array, offset);
    offset += d.length;
  }
  return new ort.Tensor(first.type as 'float32', out as Float32Array, [rows.reduce((n, r) => n + r.dims[0], 0), ...first.dims.slice(1)]);
}
