import * as fs from 'node:fs';
import * as path from 'node:path';
import { listCheckpoints } from '../core/checkpoints/checkpoint.js';
import { judgeRunState, readRunState, RUN_FILES } from '../core/experiment/run-dir.js';
import { UserError } from '../core/onnx/errors.js';

export interface RunInfo {
  runDir: string;
  /** As judged now: a `running` run whose process is gone or silent is `interrupted`; no run.json is `unknown`. */
  status: string;
  step?: number;
  totalSteps?: number;
  loss?: number;
  badRows?: number;
  error?: string;
  checkpoints: number[];
}

export async function runInfo(runDir: string): Promise<RunInfo> {
  const state = readRunState(runDir);
  const judged = state && judgeRunState(state);
  return {
    runDir, status: judged?.status ?? 'unknown', step: judged?.step, totalSteps: judged?.totalSteps, loss: judged?.loss,
    badRows: judged?.badRows, error: judged?.error, checkpoints: (await listCheckpoints(runDir)).map((c) => c.step),
  };
}

/** The run folders directly under `output` (those with run.json or experiment.json), oldest first. */
export async function listRuns(output: string): Promise<RunInfo[]> {
  let names: string[];
  try {
    names = fs.readdirSync(output).sort();
  } catch (e) {
    throw new UserError(`${output}: cannot list runs (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const dirs = names.map((n) => path.join(output, n))
    .filter((d) => fs.existsSync(path.join(d, RUN_FILES.status)) || fs.existsSync(path.join(d, RUN_FILES.experiment)));
  return Promise.all(dirs.map(runInfo));
}

export function formatRun(r: RunInfo): string {
  const progress = r.step !== undefined ? `  ${r.step}/${r.totalSteps}` : '';
  const loss = r.loss !== undefined ? `  loss ${r.loss.toFixed(4)}` : '';
  const ckpt = r.checkpoints.length ? `  checkpoint @${r.checkpoints.at(-1)}` : '';
  const bad = r.badRows ? `  ${r.badRows} bad rows skipped` : '';
  const resumable = ['interrupted', 'stopped', 'failed'].includes(r.status) ? '  (resumable)' : '';
  return `${r.status.padEnd(11)} ${r.runDir}${progress}${loss}${ckpt}${bad}${resumable}${r.error ? `\n            ${r.error}` : ''}`;
}
