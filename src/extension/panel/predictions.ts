// The eval predictions a checkpoint saves (`eval-predictions.json`) and the examples whose prediction flipped
// between two checkpoints.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { arr, int, nullable, num, obj, opt, str, type Check } from '../../contracts/validate.js';
import type { Flip } from '../../contracts/diff.js';

export const PREDICTIONS_FILE = 'eval-predictions.json';

const predictionRow = obj({ index: int, label: nullable(int), prediction: int, confidence: num, example: opt(str) });
const checkSplits: Check<SplitPredictions[]> = arr(obj({ split: str, rows: arr(predictionRow) }));
export type PredictionRow = ReturnType<typeof predictionRow>;
export interface SplitPredictions { split: string; rows: PredictionRow[] }

/** The checkpoint's saved predictions, or undefined when it has none; a malformed file is an error naming it. */
export async function readPredictions(checkpointDir: string): Promise<SplitPredictions[] | undefined> {
  const file = path.join(checkpointDir, PREDICTIONS_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return checkSplits(JSON.parse(text), 'predictions');
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}

/** Most flips sent to the panel; the counts cover all of them. */
export const MAX_FLIPS = 500;

export function flippedPredictions(a: SplitPredictions[], b: SplitPredictions[], labels: string[] = []): { compared: number; total: number; flipped: Flip[]; fixed: number; broken: number } {
  const name = (id: number | null) => (id === null ? null : labels[id] ?? String(id));
  let compared = 0, total = 0, fixed = 0, broken = 0;
  const flipped: Flip[] = [];
  for (const sb of b) {
    const sa = a.find((s) => s.split === sb.split);
    if (!sa) continue;
    const before = new Map(sa.rows.map((r) => [r.index, r]));
    for (const rb of sb.rows) {
      const ra = before.get(rb.index);
      if (!ra) continue;
      compared++;
      if (ra.prediction === rb.prediction) continue;
      total++;
      const label = rb.label ?? ra.label;
      if (label !== null && rb.prediction === label) fixed++;
      if (label !== null && ra.prediction === label) broken++;
      if (flipped.length < MAX_FLIPS) {
        flipped.push({
          split: sb.split, index: rb.index, label: name(label), example: rb.example ?? ra.example,
          a: { prediction: ra.prediction, confidence: ra.confidence, name: name(ra.prediction)! },
          b: { prediction: rb.prediction, confidence: rb.confidence, name: name(rb.prediction)! },
        });
      }
    }
  }
  return { compared, total, flipped, fixed, broken };
}
