// Eval predictions saved with each checkpoint (eval-predictions.json), so two checkpoints can be compared example by
// example: which predictions flipped between them.
import type ort from 'onnxruntime-node';
import type { Batch } from '../data/types.js';

export const PREDICTIONS_FILE = 'eval-predictions.json';

export interface PredictionRow {
  /** Row order in the eval split (the order the eval reads it, which is the split's file order). */
  index: number;
  label: number | null;
  prediction: number;
  /** Softmax probability of the prediction. */
  confidence: number;
  /** A text snippet (≤ 200 characters) or the image's path, where the data has one. */
  example?: string;
}
export interface SplitPredictions { split: string; rows: PredictionRow[] }
/** Takes one eval batch and the model's output [B, classes] for it (logits, or a binary classifier's one column). */
export type PredictionRecorder = (batch: Batch, logits: ort.Tensor) => void;

/**
 * The predicted class of row `i` and its probability, in doubles: the largest value (the first one on ties) and its
 * softmax probability; or, for a single-output binary classifier (`threshold` set: 0.5 on a Sigmoid's probability, 0
 * on a logit), class 1 above the threshold.
 */
export function predictClass(values: ArrayLike<number>, i: number, classes: number, threshold?: number): { index: number; probability: number } {
  if (classes === 1 && threshold !== undefined) {
    const p = threshold === 0 ? 1 / (1 + Math.exp(-values[i])) : values[i];
    return values[i] > threshold ? { index: 1, probability: p } : { index: 0, probability: 1 - p };
  }
  let best = 0;
  for (let c = 1; c < classes; c++) if (values[i * classes + c] > values[i * classes + best]) best = c;
  const max = values[i * classes + best];
  let sum = 0;
  for (let c = 0; c < classes; c++) sum += Math.exp(values[i * classes + c] - max);
  return { index: best, probability: 1 / sum };
}

/**
 * Keeps the predictions of the latest eval (classification only) for the next checkpoint. An eval at a new step
 * replaces the last one; a checkpoint at a step no eval has covered asks for an eval of its own (`stale`).
 */
export class EvalPredictions {
  private step = -1;
  private splits: SplitPredictions[] = [];

  /** `enabled`: a classification run with at least one eval split; `threshold`: see `predictClass`. */
  constructor(private readonly enabled: boolean, private readonly threshold?: number) {}

  /** The recorder of the eval of `split` at `step`. */
  recorder(step: number, split: string): PredictionRecorder | undefined {
    if (!this.enabled) return undefined;
    if (step !== this.step) {
      this.step = step;
      this.splits = [];
    }
    const rows: PredictionRow[] = [];
    this.splits = this.splits.filter((s) => s.split !== split).concat({ split, rows });
    return (batch, logits) => {
      const classes = logits.dims[logits.dims.length - 1];
      const data = logits.data as Float32Array;
      const labels = batch.labels.data as BigInt64Array;
      for (let i = 0; i < batch.size; i++) {
        const { index, probability } = predictClass(data, i, classes, this.threshold);
        const example = batch.examples?.[i];
        rows.push({
          index: rows.length, label: labels ? Number(labels[i]) : null, prediction: index, confidence: probability,
          ...(example !== undefined ? { example } : {}),
        });
      }
    };
  }

  /** Whether a checkpoint at `step` needs an eval first to have predictions of that step. */
  stale(step: number): boolean {
    return this.enabled && this.step !== step;
  }

  /** The files a checkpoint at `step` carries (none when predictions are off or belong to another step). */
  files(step: number): Record<string, string> {
    if (!this.enabled || this.step !== step) return {};
    return { [PREDICTIONS_FILE]: JSON.stringify(this.splits) + '\n' };
  }
}
