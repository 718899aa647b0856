// Run folders made in code for the panel's tests and harness: experiment.json, metrics.jsonl, labels.json and
// checkpoints of the shipped digits model (features frozen, so its parameters are absent from the checkpoints).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkpointDir, saveCheckpoint } from '../../src/core/checkpoints/checkpoint.js';
import { RUN_FILES } from '../../src/core/experiment/run-dir.js';
import type { ParamInfo } from '../../src/core/module-tree.js';
import { modelParams } from '../../src/extension/panel/jobs-run.js';
import { PREDICTIONS_FILE, type SplitPredictions } from '../../src/extension/panel/predictions.js';

export const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..');
export const DIGITS_MODEL = path.join(REPO, 'examples', 'digits', 'digits-cnn.onnx');

export function tmp(prefix = 'panel-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** An experiment file of the digits model in a fresh folder (the panel writes to it). */
export function digitsExperiment(extra: Record<string, unknown> = {}): string {
  const dir = tmp('panel-exp-');
  const file = path.join(dir, 'digits.experiment.json');
  fs.writeFileSync(file, JSON.stringify({ name: 'digits', model: DIGITS_MODEL, task: 'classification', data: { train: 'x.csv' }, freeze: ['features.*'], optimizer: { name: 'adamw', lr: 0.003 }, ...extra }, null, 2) + '\n');
  return file;
}

export function metricLines(steps: number, opts: { evalEvery?: number; retention?: string } = {}): string {
  const lines: string[] = [];
  for (let s = 1; s <= steps; s++) {
    lines.push(JSON.stringify({ step: s, loss: 2 * Math.exp(-s / 200) + 0.1 * Math.sin(s), lr: 0.001, gradNorm: 1 / s, seconds: 0.01, epoch: 0 }));
    if (opts.evalEvery && s % opts.evalEvery === 0) {
      lines.push(JSON.stringify({ step: s, split: 'validation', loss: 1 / s, accuracy: Math.min(1, s / steps), examples: 10 }));
      if (opts.retention) lines.push(JSON.stringify({ step: s, split: opts.retention, loss: s / steps, accuracy: 1 - s / steps, examples: 10 }));
    }
  }
  return lines.map((l) => l + '\n').join('');
}

/** A completed run folder of the digits model with checkpoints at `steps` (weights drift by step) and, where asked,
 * saved eval predictions. */
export async function digitsRun(o: { steps?: number[]; metrics?: string; predictions?: Record<number, SplitPredictions[]> } = {}): Promise<{ runDir: string; params: ParamInfo[]; checkpoints: string[] }> {
  const runDir = path.join(tmp('panel-run-'), 'digits-20260101-000000');
  fs.mkdirSync(runDir, { recursive: true });
  fs.writeFileSync(path.join(runDir, RUN_FILES.experiment), JSON.stringify({ model: DIGITS_MODEL, task: 'classification', retention: { name: 'retention (digits 0-4)', data: 'x' } }));
  fs.writeFileSync(path.join(runDir, RUN_FILES.labels), JSON.stringify(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']));
  fs.writeFileSync(path.join(runDir, RUN_FILES.status), JSON.stringify({ status: 'completed', pid: 0, startedAt: new Date().toISOString(), updatedAt: new Date().toISOString(), step: 100, totalSteps: 100 }));
  fs.writeFileSync(path.join(runDir, RUN_FILES.metrics), o.metrics ?? metricLines(100, { evalEvery: 50, retention: 'retention (digits 0-4)' }));
  const params = modelParams(DIGITS_MODEL);
  const trainable = params.filter((p) => !p.module.startsWith('features'));
  const checkpoints: string[] = [];
  for (const step of o.steps ?? [50, 100]) {
    const dir = checkpointDir(runDir, step);
    const ps: Record<string, { dims: number[]; data: Float32Array }> = {};
    for (const p of trainable) {
      const data = new Float32Array(p.size);
      // classifier.0 drifts with the step, classifier.2 stays put: known relative changes.
      for (let i = 0; i < p.size; i++) data[i] = 1 + (p.module === 'classifier.0' ? step / 100 : 0);
      ps[p.name] = { dims: p.dims, data };
    }
    await saveCheckpoint(dir, { params: ps, optimizer: {}, state: { step } });
    const preds = o.predictions?.[step];
    if (preds) fs.writeFileSync(path.join(dir, PREDICTIONS_FILE), JSON.stringify(preds));
    checkpoints.push(dir);
  }
  return { runDir, params, checkpoints };
}
