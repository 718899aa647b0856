import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '../checkpoints/atomic.js';

/** Layout of a run directory: what the CLI, the child process, the tree view and the panel read. */
export const RUN_FILES = {
  experiment: 'experiment.json',
  status: 'run.json',
  metrics: 'metrics.jsonl',
  labels: 'labels.json',
  model: 'model.onnx',
  checkpoints: 'checkpoints',
} as const;

export type RunStatus = 'running' | 'completed' | 'stopped' | 'failed';
export interface RunState {
  status: RunStatus;
  pid: number;
  startedAt: string;
  updatedAt: string;
  step: number;
  totalSteps: number;
  error?: string;
}

function stamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Creates `<output>/<name>-<timestamp>[-n]` and returns it. */
export function createRunDir(output: string, name: string): string {
  fs.mkdirSync(output, { recursive: true });
  const base = path.join(output, `${name.replace(/[^\w.-]+/g, '_')}-${stamp()}`);
  for (let n = 0; ; n++) {
    const dir = n === 0 ? base : `${base}-${n}`;
    try {
      fs.mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

export async function writeRunState(runDir: string, state: RunState): Promise<void> {
  await writeJsonAtomic(path.join(runDir, RUN_FILES.status), state);
}

export function readRunState(runDir: string): RunState | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDir, RUN_FILES.status), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Appends one metrics row. Rows are single `write`s of whole lines, so a crash never leaves half a row behind. */
export function appendMetric(runDir: string, row: object): void {
  fs.appendFileSync(path.join(runDir, RUN_FILES.metrics), JSON.stringify(row) + '\n');
}

export function readMetrics(runDir: string): Record<string, unknown>[] {
  let text = '';
  try {
    text = fs.readFileSync(path.join(runDir, RUN_FILES.metrics), 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l.trim()).flatMap((l) => {
    try {
      return [JSON.parse(l)];
    } catch {
      return []; // a torn last line from a killed process
    }
  });
}
