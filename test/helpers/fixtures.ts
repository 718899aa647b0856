import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import assert from 'node:assert/strict';
import { readMetrics } from '../../src/core/experiment/run-dir.js';
import { TrainingSession, type GroupSpec } from '../../src/core/session.js';
import type { Task } from '../../src/core/training-graph.js';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures');

export interface Scenario {
  id: string;
  optimizer: { name: 'sgd' | 'adamw'; lr: number; momentum?: number; weightDecay?: number; schedule?: { type: 'linear'; warmupSteps: number }; maxGradNorm?: number };
  frozenOnnx: { ts: string[] };
  fp32: { losses: number[]; evalLossBefore: number; evalLossAfter: number };
  lrs: number[];
}
export interface FixtureModel { model: string; task: Task; batchSize: number; steps: number; scenarios: Scenario[] }

export function manifest(): FixtureModel[] {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8')).models;
}

export function readRows(file: string): Record<string, unknown>[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/** Rows as feeds: int inputs → int64, the rest float32, `label` → labels (float32 when a list: regression targets). */
export function rowsToFeeds(rows: Record<string, unknown>[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const key of Object.keys(rows[0])) {
    const values = rows.map((r) => r[key]);
    const flat = values.flat(Infinity as 1) as number[];
    const dims = [rows.length, ...shapeOf(values[0])];
    const name = key === 'label' ? 'labels' : key;
    const isInt = (key === 'label' && !Array.isArray(values[0])) || key === 'input_ids' || key === 'attention_mask' || key === 'token_type_ids';
    feeds[name] = isInt
      ? new ort.Tensor('int64', BigInt64Array.from(flat.map((v) => BigInt(v))), dims)
      : new ort.Tensor('float32', Float32Array.from(flat), dims);
  }
  return feeds;
}

function shapeOf(v: unknown): number[] {
  return Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : [];
}

/** A run folder's training losses, one per step, in order. */
export const stepLosses = (runDir: string) => readMetrics(runDir).filter((r) => r.split === undefined).map((r) => r.loss as number);
/** A run folder's eval losses on the validation split, in order. */
export const evalLosses = (runDir: string) => readMetrics(runDir).filter((r) => r.split === 'validation').map((r) => r.loss as number);

const REL_TOL = 2e-6;

export function assertClose(actual: number, expected: number, what: string, relTol = REL_TOL) {
  const rel = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-12);
  if (!(rel <= relTol)) throw new Error(`${what}: got ${actual}, PyTorch ${expected} (relative error ${rel.toExponential(2)})`);
}

/** A run folder's losses against PyTorch's fp32 reference: every step's, and the eval loss before and after. */
export function assertRunMatches(runDir: string, fp32: Scenario['fp32'], steps: number): void {
  const losses = stepLosses(runDir);
  assert.equal(losses.length, steps);
  losses.forEach((l, i) => assertClose(l, fp32.losses[i], `step ${i + 1} loss`));
  const [before, after] = evalLosses(runDir);
  assertClose(before, fp32.evalLossBefore, 'eval loss before');
  assertClose(after, fp32.evalLossAfter, 'eval loss after');
}

/** Mean over examples for classification; for causal-lm, the mean over predicted tokens (weights = kept targets). */
export async function evalLoss(session: TrainingSession, task: Task, rows: Record<string, unknown>[], batchSize: number): Promise<number> {
  let total = 0, weight = 0;
  for (let i = 0; i < rows.length; i += batchSize) {
    const chunk = rows.slice(i, i + batchSize);
    const w = task === 'causal-lm'
      ? chunk.reduce((n, r) => n + (r.attention_mask as number[]).slice(1).reduce((a, b) => a + b, 0), 0)
      : chunk.length;
    total += (await session.evalStep(rowsToFeeds(chunk))).loss * w;
    weight += w;
  }
  return total / weight;
}

/**
 * The fixture protocol (test/fixtures/README.md): batches are rows [s·B, (s+1)·B) in order; each step's loss (before
 * its update), its learning rate, and the eval loss before and after must be PyTorch's within 2e-6 relative (the
 * engine's own error is below 7e-7; PyTorch's own fp32-vs-fp64 drift is up to 6.5e-7). With gradient accumulation
 * A, step s is A micro-batches of B rows and `losses` has one entry per micro-batch.
 */
export async function checkTrajectory(opts: {
  model: string; task: Task; freeze: string[]; scenario: Omit<Scenario, 'frozenOnnx'>; batchSize: number; steps: number; dataDir: string; name: string;
  groups?: GroupSpec[]; gradientAccumulation?: number;
}): Promise<void> {
  const { scenario, batchSize: B, task } = opts;
  const A = opts.gradientAccumulation ?? 1;
  const train = readRows(path.join(opts.dataDir, `${opts.name}.train.jsonl`));
  const evalRows = readRows(path.join(opts.dataDir, `${opts.name}.eval.jsonl`));
  const session = await TrainingSession.create(opts.model, rowsToFeeds(train.slice(0, B)), {
    task, freeze: opts.freeze, optimizer: scenario.optimizer, totalSteps: opts.steps, threads: 1,
    groups: opts.groups, gradientAccumulation: A,
  });
  try {
    assert.equal(scenario.fp32.losses.length, opts.steps * A, 'one PyTorch loss per micro-batch');
    assertClose(await evalLoss(session, task, evalRows, B), scenario.fp32.evalLossBefore, 'eval loss before');
    for (let s = 0; s < opts.steps; s++) {
      session.lazyResetGrad();
      for (let k = 0; k < A; k++) {
        const m = s * A + k;
        const { loss } = await session.trainStep(rowsToFeeds(train.slice(m * B, (m + 1) * B)));
        assertClose(loss, scenario.fp32.losses[m], A > 1 ? `step ${s} micro-batch ${k} loss` : `step ${s} loss`);
      }
      const { lr } = session.optimizerStep();
      assertClose(lr || 1e-30, scenario.lrs[s] || 1e-30, `step ${s} lr`);
    }
    assertClose(await evalLoss(session, task, evalRows, B), scenario.fp32.evalLossAfter, 'eval loss after');
  } finally {
    await session.release();
  }
}
