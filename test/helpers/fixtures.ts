import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures');

export interface Scenario {
  id: string;
  optimizer: { name: 'sgd' | 'adamw'; lr: number; momentum?: number; weightDecay?: number; schedule?: { type: 'linear'; warmupSteps: number }; maxGradNorm?: number };
  frozenOnnx: { ts: string[] };
  fp32: { losses: number[]; evalLossBefore: number; evalLossAfter: number };
  lrs: number[];
}
export interface FixtureModel { model: string; task: 'classification'; batchSize: number; steps: number; scenarios: Scenario[] }

export function manifest(): FixtureModel[] {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8')).models;
}

export function readRows(file: string): Record<string, unknown>[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/** Rows [from, to) as feeds: int inputs → int64, the rest float32, `label` → labels. */
export function rowsToFeeds(rows: Record<string, unknown>[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const key of Object.keys(rows[0])) {
    const values = rows.map((r) => r[key]);
    const flat = values.flat(Infinity as 1) as number[];
    const dims = [rows.length, ...shapeOf(values[0])];
    const name = key === 'label' ? 'labels' : key;
    const isInt = key === 'label' || key === 'input_ids' || key === 'attention_mask' || key === 'token_type_ids';
    feeds[name] = isInt
      ? new ort.Tensor('int64', BigInt64Array.from(flat.map((v) => BigInt(v))), dims)
      : new ort.Tensor('float32', Float32Array.from(flat), dims);
  }
  return feeds;
}

function shapeOf(v: unknown): number[] {
  return Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : [];
}
