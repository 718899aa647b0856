// What the experiment tree shows, read from disk: experiment files, their run folders (judged by run.json's
// heartbeat), checkpoints and the best eval so far. Async I/O only; metrics are tailed incrementally and cached.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { listCheckpoints, type CheckpointEntry } from '../../core/checkpoints/checkpoint.js';
import type { EvalMetric } from '../../core/experiment/events.js';
import { judgeRunState, RUN_FILES, type RunState } from '../../core/experiment/run-dir.js';
import { MetricsTail } from './metrics-tail.js';

export interface ExperimentFile {
  file: string;
  name: string;
  /** The folder its runs go to (its `output`, resolved). */
  output: string;
  /** Set when the file cannot be read or parsed. */
  problem?: string;
}

export interface RunRecord {
  runDir: string;
  /** Experiment name the run belongs to (its experiment's `name`, else the model's file name). */
  experiment: string;
  /** The experiment file it was started from, as recorded by the run. */
  experimentFile?: string;
  /** The model it fine-tunes (absolute path). */
  model?: string;
  /** run.json judged by its heartbeat; undefined when absent or unreadable. */
  state?: RunState;
  /** Why run.json could not be used. */
  problem?: string;
  checkpoints: CheckpointEntry[];
  /** Eval rows by step and split. */
  evals: EvalMetric[];
  hasModel: boolean;
  startedAt?: string;
}

async function readJson(file: string): Promise<{ value?: unknown; problem?: string }> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    return { problem: (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `cannot read (${(e as NodeJS.ErrnoException).code})` };
  }
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { problem: `not valid JSON (${(e as Error).message})` };
  }
}

export function experimentName(spec: { name?: unknown; model?: unknown }, fallback: string): string {
  if (typeof spec.name === 'string' && spec.name) return spec.name;
  if (typeof spec.model === 'string' && spec.model) return path.basename(spec.model, '.onnx');
  return fallback;
}

export async function readExperimentFile(file: string): Promise<ExperimentFile> {
  const { value, problem } = await readJson(file);
  const spec = (value && typeof value === 'object' ? value : {}) as { name?: unknown; model?: unknown; output?: unknown };
  const output = path.resolve(path.dirname(file), typeof spec.output === 'string' ? spec.output : '.finetune/runs');
  return { file, name: experimentName(spec, path.basename(file, '.json').replace(/\.experiment$/, '')), output, problem };
}

/** Folders under `runsFolder` that look like runs (hold an experiment.json), newest first. */
export async function listRunDirs(runsFolder: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(runsFolder, { withFileTypes: true });
  } catch {
    return [];
  }
  const dirs: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('.') || e.name.includes('.tmp')) continue;
    const dir = path.join(runsFolder, e.name);
    try {
      await fs.access(path.join(dir, RUN_FILES.experiment));
      dirs.push(dir);
    } catch {
      // not a run folder (or one being created)
    }
  }
  return dirs.sort().reverse();
}

/** Caches each run's metrics tail, so a refresh reads only what was appended. */
export class RunReader {
  private readonly tails = new Map<string, { tail: MetricsTail; evals: EvalMetric[] }>();

  async read(runDir: string, now = Date.now()): Promise<RunRecord | undefined> {
    const exp = await readJson(path.join(runDir, RUN_FILES.experiment));
    if (exp.problem === 'missing') {
      this.tails.delete(runDir); // deleted while shown
      return undefined;
    }
    const spec = (exp.value ?? {}) as { name?: unknown; model?: unknown; experimentFile?: unknown };
    const status = await readJson(path.join(runDir, RUN_FILES.status));
    let state: RunState | undefined;
    let problem: string | undefined;
    if (status.value && typeof status.value === 'object' && typeof (status.value as RunState).status === 'string') {
      state = judgeRunState(status.value as RunState, now);
    } else {
      problem = status.problem === 'missing' ? 'run.json is missing' : `run.json ${status.problem ?? 'has no status'}`;
    }
    let cached = this.tails.get(runDir);
    if (!cached) this.tails.set(runDir, (cached = { tail: new MetricsTail(runDir), evals: [] }));
    const { rows, reset } = await cached.tail.read();
    if (reset) cached.evals = [];
    for (const r of rows) if (r.kind === 'eval') cached.evals.push(r.metric);
    let hasModel = false;
    try {
      await fs.access(path.join(runDir, RUN_FILES.model));
      hasModel = true;
    } catch {
      // not exported (yet)
    }
    let checkpoints: CheckpointEntry[] = [];
    try {
      checkpoints = await listCheckpoints(runDir);
    } catch {
      // no checkpoints folder yet
    }
    return {
      runDir, experiment: experimentName(spec, path.basename(runDir)), state, problem, checkpoints, evals: cached.evals, hasModel,
      experimentFile: typeof spec.experimentFile === 'string' ? spec.experimentFile : undefined,
      model: typeof spec.model === 'string' ? spec.model : undefined,
      startedAt: state?.startedAt,
    };
  }

  forget(runDir: string): void {
    this.tails.delete(runDir);
  }
}

/** The eval row the tree shows: the latest step's first split (the target task's validation). */
export function latestEval(evals: EvalMetric[]): EvalMetric | undefined {
  if (!evals.length) return undefined;
  const last = evals.at(-1)!.step;
  return evals.find((e) => e.step === last);
}

/** The best eval of the first split: highest accuracy, else lowest loss. */
export function bestEval(evals: EvalMetric[]): EvalMetric | undefined {
  const split = evals[0]?.split;
  let best: EvalMetric | undefined;
  for (const e of evals) {
    if (e.split !== split || !Number.isFinite(e.loss)) continue;
    const better = !best || (e.accuracy !== undefined && best.accuracy !== undefined ? e.accuracy > best.accuracy : e.loss < best.loss);
    if (better) best = e;
  }
  return best;
}
