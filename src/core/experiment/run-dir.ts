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
  log: 'run.log',
} as const;

/** `interrupted` is never written: readers judge a `running` run whose process is gone (or silent) to be it. */
export type RunStatus = 'running' | 'completed' | 'stopped' | 'failed' | 'interrupted';
export interface RunState {
  status: RunStatus;
  pid: number;
  startedAt: string;
  /** The heartbeat: a running child rewrites run.json at least this often (HEARTBEAT_MS). */
  updatedAt: string;
  step: number;
  totalSteps: number;
  /** Loss of the last step. */
  loss?: number;
  error?: string;
}

/** How often a running child rewrites run.json. */
export const HEARTBEAT_MS = 5_000;
/** A run whose process lives but whose heartbeat is older than this is judged hung (a synchronous set-up of a
 * large model can legitimately hold the event loop for a minute or more). */
export const STALE_MS = 10 * 60_000;

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The truth about a run: a `running` state whose process is gone, or silent for STALE_MS, is `interrupted`. */
export function judgeRunState(state: RunState, now = Date.now(), alive: (pid: number) => boolean = pidAlive): RunState {
  if (state.status !== 'running') return state;
  const age = now - Date.parse(state.updatedAt);
  if (!alive(state.pid) || !(age < STALE_MS)) return { ...state, status: 'interrupted' };
  return state;
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

/** Appends a timestamped line to the run's human-readable log (`run.log`); logging never fails a run. */
export function appendRunLog(runDir: string, line: string): void {
  try {
    fs.appendFileSync(path.join(runDir, RUN_FILES.log), `${new Date().toISOString()} ${line}\n`);
  } catch {
    // a full or read-only disk: the metrics and run.json writers report it
  }
}
