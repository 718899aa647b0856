import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempPath, toJson } from '../checkpoints/atomic.js';
import { UserError } from '../onnx/errors.js';

/** Layout of a run directory: what the CLI, the child process, the tree view and the panel read. */
export const RUN_FILES = {
  experiment: 'experiment.json',
  status: 'run.json',
  metrics: 'metrics.jsonl',
  labels: 'labels.json',
  model: 'model.onnx',
  /** LoRA runs: the trained adapters in PEFT's safetensors format (model.onnx has them merged). */
  adapters: 'adapters.safetensors',
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
  /** Rows skipped so far because they could not be read or encoded. */
  badRows?: number;
  /** The first error of a failed run, one line. */
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

/**
 * Creates `<output>/<name>-<timestamp>[-n]` holding `files` (name → JSON value) and returns it. The folder is filled
 * under a temporary name and renamed, so a run folder always has its experiment, even if the process is killed.
 */
export function createRunDir(output: string, name: string, files: Record<string, unknown> = {}): string {
  fs.mkdirSync(output, { recursive: true });
  const base = path.join(output, `${name.replace(/[^\w.-]+/g, '_')}-${stamp()}`);
  const tmp = tempPath(base);
  try {
    fs.mkdirSync(tmp);
    for (const [file, value] of Object.entries(files)) fs.writeFileSync(path.join(tmp, file), toJson(value), { flush: true });
    for (let n = 0; ; n++) {
      const dir = n === 0 ? base : `${base}-${n}`;
      if (fs.existsSync(dir)) continue;
      fs.renameSync(tmp, dir);
      return dir;
    }
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** The file operations a run folder is written with; tests inject failing ones (full disk, permissions). */
export type RunFs = Pick<typeof fs, 'appendFileSync' | 'writeFileSync' | 'renameSync' | 'truncateSync' | 'rmSync'>;

/** Writes `value` as JSON so readers see the old file or the whole new one; synchronous, so exit paths can use it. */
export function writeJsonAtomicSync(file: string, value: unknown, io: RunFs = fs): void {
  writeFileAtomicSync(file, toJson(value), io);
}

function writeFileAtomicSync(file: string, text: string, io: RunFs): void {
  const tmp = tempPath(file);
  try {
    io.writeFileSync(tmp, text, { flag: 'wx', flush: true });
    io.renameSync(tmp, file);
  } catch (e) {
    try {
      io.rmSync(tmp, { force: true });
    } catch {
      // the first error is the one to report
    }
    throw ioError(e, file);
  }
}

/** A file-system error as one line naming the file: `path: no space left on device (ENOSPC)`. */
export function ioError(e: unknown, file: string): Error {
  const err = e as NodeJS.ErrnoException;
  if (!err?.code || err instanceof UserError) return err as Error;
  const reason = err.message.replace(/^\w+: /, '').replace(/, \w+( '.*')?$/, '');
  return Object.assign(new UserError(`${file}: ${reason} (${err.code})`, { cause: err }), { code: err.code });
}

/** First line of an error's message, for run.json and one-line reports. */
export function oneLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0];
}

/** Writes a whole run.json atomically (runs themselves write through a RunWriter). */
export async function writeRunState(runDir: string, state: RunState): Promise<void> {
  writeJsonAtomicSync(path.join(runDir, RUN_FILES.status), state);
}

/** run.json, or undefined when it is missing or unreadable (a reader never throws). */
export function readRunState(runDir: string): RunState | undefined {
  try {
    const state = JSON.parse(fs.readFileSync(path.join(runDir, RUN_FILES.status), 'utf8'));
    return state && typeof state === 'object' && typeof state.status === 'string' ? state : undefined;
  } catch {
    return undefined;
  }
}

/** Metrics rows; a torn or unparsable line (a process killed mid-write) is left out. */
export function readMetrics(runDir: string): Record<string, unknown>[] {
  let text = '';
  try {
    text = fs.readFileSync(path.join(runDir, RUN_FILES.metrics), 'utf8');
  } catch {
    return [];
  }
  return parseRows(text);
}

function parseRows(text: string): Record<string, unknown>[] {
  return text.split('\n').filter((l) => l.trim()).flatMap((l) => {
    try {
      const row = JSON.parse(l);
      return row && typeof row === 'object' ? [row] : [];
    } catch {
      return [];
    }
  });
}

/**
 * Keeps the rows of steps up to `step` (step and eval rows alike) and drops a torn last line, atomically: what a
 * resume from the checkpoint of `step` does first, so no step appears twice and no row is glued to a fragment.
 */
export function truncateMetrics(runDir: string, step: number, io: RunFs = fs): void {
  const file = path.join(runDir, RUN_FILES.metrics);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw ioError(e, file);
  }
  const kept = parseRows(text).filter((r) => typeof r.step === 'number' && r.step <= step);
  const out = kept.map((r) => JSON.stringify(r) + '\n').join('');
  if (out !== text) writeFileAtomicSync(file, out, io);
}

/** Writers still running in this process: an exit that skips their own final write gets one here. */
const live = new Set<RunWriter>();
let uncaught: unknown;
function onExit(code: number): void {
  for (const w of [...live]) {
    try {
      if (code === 130) w.finish('stopped');
      else w.finish('failed', uncaught ?? new Error(`the process exited (code ${code}) during the run`));
    } catch {
      // nothing more can be done while exiting
    }
  }
}
function onUncaught(e: unknown): void {
  uncaught ??= e;
}

/**
 * The one writer of a run folder: run.json as a heartbeat (rewritten atomically every HEARTBEAT_MS and on demand),
 * metrics rows as whole-line appends, and a final status on every exit path that can still write, keeping the
 * first error.
 */
export class RunWriter {
  private timer?: NodeJS.Timeout;
  private metricsBytes: number;
  private firstError?: unknown;
  private done = false;

  constructor(readonly dir: string, readonly state: RunState, private readonly io: RunFs = fs) {
    try {
      this.metricsBytes = fs.statSync(this.metricsFile).size;
    } catch {
      this.metricsBytes = 0;
    }
  }

  private get metricsFile(): string {
    return path.join(this.dir, RUN_FILES.metrics);
  }

  /** Updates fields of run.json and rewrites it now. */
  write(patch: Partial<RunState> = {}): void {
    Object.assign(this.state, patch, { updatedAt: new Date().toISOString() });
    writeJsonAtomicSync(path.join(this.dir, RUN_FILES.status), this.state, this.io);
  }

  /** Writes run.json now and then every HEARTBEAT_MS until finish(); the timer never keeps the process alive. */
  start(): void {
    this.write();
    this.timer = setInterval(() => {
      try {
        this.write();
      } catch {
        // a failing disk surfaces at the next metrics row or checkpoint, with its path
      }
    }, HEARTBEAT_MS);
    this.timer.unref();
    if (live.size === 0) {
      process.on('exit', onExit);
      process.on('uncaughtExceptionMonitor', onUncaught);
    }
    live.add(this);
  }

  /** Appends one metrics row in a single write; a partial write (full disk) is cut back off before throwing. */
  appendMetric(row: object): void {
    const line = JSON.stringify(row) + '\n';
    try {
      this.io.appendFileSync(this.metricsFile, line);
      this.metricsBytes += Buffer.byteLength(line);
    } catch (e) {
      try {
        this.io.truncateSync(this.metricsFile, this.metricsBytes);
      } catch {
        // a torn last line is dropped by the next resume and ignored by readers
      }
      throw ioError(e, this.metricsFile);
    }
  }

  /**
   * Writes the final status once: the timer stops, and `error` (the first one given, if several) goes into
   * run.json. Returns the error to report: the first one, with a failure to write run.json appended to it.
   */
  finish(status: Exclude<RunStatus, 'running' | 'interrupted'>, error?: unknown): Error | undefined {
    if (error !== undefined) this.firstError ??= error;
    if (this.done) return this.firstError as Error | undefined;
    this.done = true;
    clearInterval(this.timer);
    live.delete(this);
    if (live.size === 0) {
      process.off('exit', onExit);
      process.off('uncaughtExceptionMonitor', onUncaught);
    }
    const first = this.firstError as Error | undefined;
    try {
      this.write({ status, ...(first ? { error: oneLine(first) } : {}) });
    } catch (e) {
      if (!first) return e as Error;
      first.message += ` (then writing run.json failed too: ${oneLine(e)})`;
    }
    return first;
  }
}

/**
 * A new run folder `<runDir>-from-step-N` that continues from an earlier checkpoint of `runDir` without touching
 * its later history: the experiment, the labels, that checkpoint and the metrics rows up to step N. Built under a
 * temporary name and renamed, so it is complete or absent.
 */
export function forkRun(runDir: string, checkpoint: { step: number; dir: string }): string {
  const tmp = tempPath(runDir);
  try {
    fs.mkdirSync(path.join(tmp, RUN_FILES.checkpoints), { recursive: true });
    for (const f of [RUN_FILES.experiment, RUN_FILES.labels]) {
      if (fs.existsSync(path.join(runDir, f))) fs.copyFileSync(path.join(runDir, f), path.join(tmp, f));
    }
    fs.cpSync(checkpoint.dir, path.join(tmp, RUN_FILES.checkpoints, path.basename(checkpoint.dir)), { recursive: true });
    if (fs.existsSync(path.join(runDir, RUN_FILES.metrics))) {
      fs.copyFileSync(path.join(runDir, RUN_FILES.metrics), path.join(tmp, RUN_FILES.metrics));
      truncateMetrics(tmp, checkpoint.step);
    }
    for (let n = 0; ; n++) {
      const dir = `${runDir}-from-step-${checkpoint.step}${n ? `-${n}` : ''}`;
      if (fs.existsSync(dir)) continue;
      fs.renameSync(tmp, dir);
      return dir;
    }
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw ioError(e, tmp);
  }
}

/** Appends a timestamped line to the run's human-readable log (`run.log`); logging never fails a run. */
export function appendRunLog(runDir: string, line: string): void {
  try {
    fs.appendFileSync(path.join(runDir, RUN_FILES.log), `${new Date().toISOString()} ${line}\n`);
  } catch {
    // a full or read-only disk: the metrics and run.json writers report it
  }
}
