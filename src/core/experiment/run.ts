import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { ModelProto } from 'onnx-buf';
import { writeJsonAtomic } from '../checkpoints/atomic.js';
import { checkpointDir, listCheckpoints, loadCheckpoint, saveCheckpoint } from '../checkpoints/checkpoint.js';
import { openDataset } from '../data/index.js';
import type { Batch, BatchSource, ModelInput } from '../data/types.js';
import { UserError } from '../onnx/errors.js';
import { exportWarnings } from '../onnx/lint.js';
import { loadModel } from '../onnx/model.js';
import { DT } from '../onnx/tensor.js';
import { readValueInfo } from '../onnx/value-info.js';
import { batchFeeds, TrainingSession } from '../session.js';
import type { EvalMetric, RunEvent, RunSummary } from './events.js';
import { appendMetric, createRunDir, RUN_FILES, writeRunState, type RunState } from './run-dir.js';
import type { ExperimentSpec } from './spec.js';

export interface RunOptions {
  /** Directory the spec's relative paths start from (the experiment file's folder). */
  baseDir: string;
  onEvent?: (event: RunEvent) => void;
  /** Stops after the current step, with a checkpoint, when aborted. */
  signal?: AbortSignal;
  /** Continue this run directory from its latest checkpoint. */
  resume?: string;
  /** Stop after this many steps of the run (the schedule still spans the whole run); for tests and demos. */
  stopAfter?: number;
  /** The experiment file the spec came from, recorded in the run folder so the extension can group runs by it. */
  experimentFile?: string;
}

/** Graph inputs that are fed data (not initializers), with the types the data layer produces. */
export function modelInputs(model: ModelProto): ModelInput[] {
  const inits = new Set(model.graph!.initializer.map((t) => t.name));
  return model.graph!.input.filter((i) => !inits.has(i.name)).map((i) => {
    const v = readValueInfo(i);
    return { name: i.name, type: v?.elemType === DT.INT64 || v?.elemType === DT.INT32 ? 'int64' : 'float32', dims: v?.dims ?? [] };
  });
}

function specHash(spec: ExperimentSpec): string {
  const { output: _o, steps: _s, ...rest } = spec;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 16);
}

/** Mean loss (and accuracy for classification) over a whole split, in file order. */
async function evaluate(session: TrainingSession, source: BatchSource, batchSize: number, classification: boolean): Promise<Omit<EvalMetric, 'step' | 'split'>> {
  let loss = 0, correct = 0, n = 0;
  for await (const batch of source.batches(batchSize, { shuffle: false, seed: 0, epoch: 0 })) {
    const r = await session.evalStep(batchFeeds(batch));
    loss += r.loss * batch.size;
    if (classification) correct += countCorrect(r.prediction.data as Float32Array, r.prediction.dims as number[], batch);
    n += batch.size;
  }
  if (n === 0) return { loss: NaN, examples: 0 };
  return { loss: loss / n, accuracy: classification ? correct / n : undefined, examples: n };
}

function countCorrect(logits: Float32Array, dims: number[], batch: Batch): number {
  const classes = dims[dims.length - 1];
  let correct = 0;
  for (let i = 0; i < batch.size; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    if (BigInt(best) === (batch.labels.data as BigInt64Array)[i]) correct++;
  }
  return correct;
}

/** Runs (or resumes) one experiment: the single code path of the CLI, the extension's child process and the demo. */
export async function runExperiment(spec: ExperimentSpec, opts: RunOptions): Promise<RunSummary> {
  const emit = (e: RunEvent) => opts.onEvent?.(e);
  const resolve = (p: string) => path.resolve(opts.baseDir, p);
  const modelPath = resolve(spec.model);
  const model = loadModel(modelPath);
  const inputs = modelInputs(model);
  const dataset = await openDataset(spec.data, { baseDir: opts.baseDir, modelPath, inputs, task: spec.task });
  const retention = spec.retention
    ? (await openDataset({ train: spec.retention.data, labels: dataset.labels }, { baseDir: opts.baseDir, modelPath, inputs, task: spec.task })).splits.train
    : undefined;
  const train = dataset.splits.train;
  const evalSets: [string, BatchSource][] = [];
  if (dataset.splits.validation) evalSets.push(['validation', dataset.splits.validation]);
  if (retention) evalSets.push([spec.retention!.name ?? 'retention', retention]);

  const accumulation = spec.gradientAccumulation;
  const stepsPerEpoch = Math.max(1, Math.floor(train.size / (spec.batchSize * accumulation)));
  const totalSteps = spec.steps ?? Math.max(1, Math.round((spec.epochs ?? 1) * stepsPerEpoch));

  const runDir = opts.resume ?? createRunDir(resolve(spec.output), spec.name ?? path.basename(modelPath, '.onnx'));
  if (!opts.resume) {
    await writeJsonAtomic(path.join(runDir, RUN_FILES.experiment), { ...spec, model: modelPath, baseDir: opts.baseDir, experimentFile: opts.experimentFile });
    if (dataset.labels) await writeJsonAtomic(path.join(runDir, RUN_FILES.labels), dataset.labels);
  }

  const first = await firstBatch(train, spec.batchSize);
  const session = await TrainingSession.create(model, batchFeeds(first), {
    task: spec.task, freeze: spec.freeze, optimizer: spec.optimizer, totalSteps, groups: spec.groups,
    gradientAccumulation: accumulation, threads: spec.threads, prediction: spec.prediction,
  });
  const state: RunState = {
    status: 'running', pid: process.pid, startedAt: new Date().toISOString(), updatedAt: new Date().toISOString(), step: 0, totalSteps,
  };
  let epoch = 0, batchInEpoch = 0, resumedFrom: number | undefined;
  if (opts.resume) {
    const latest = (await listCheckpoints(runDir)).at(-1);
    if (!latest) throw new UserError(`${runDir}: no checkpoint to resume from`);
    const ckpt = await loadCheckpoint(latest.dir);
    const s = ckpt.state as { step: number; epoch: number; batchInEpoch: number; optimizer: Record<string, number>; specHash: string };
    if (s.specHash !== specHash(spec)) emit({ type: 'log', level: 'warn', message: 'the experiment changed since this checkpoint was written' });
    for (const p of session.trainable) {
      const saved = ckpt.params[p.name];
      if (!saved) throw new UserError(`${latest.dir}: checkpoint has no parameter '${p.name}'`);
      p.data.set(saved.data);
    }
    session.optimizerState!.loadState(ckpt.optimizer, s.optimizer);
    session.step = s.step;
    ({ epoch, batchInEpoch } = s);
    resumedFrom = s.step;
    state.step = s.step;
  }
  const totalParams = session.parameterCount(false), trainableParams = session.parameterCount(true);
  const frozen = session.parameters.filter((p) => !session.trainable.some((t) => t.name === p.name)).map((p) => p.name);
  emit({ type: 'start', runDir, totalSteps, trainableParams, totalParams, frozen, resumedFrom });
  for (const message of exportWarnings(model)) emit({ type: 'log', level: 'warn', message });
  if (session.noGradient.length) emit({ type: 'log', level: 'warn', message: `parameters that do not affect the loss stay frozen: ${session.noGradient.join(', ')}` });
  await writeRunState(runDir, state);

  const classification = spec.task === 'classification';
  const runEval = async (step: number): Promise<EvalMetric[]> => {
    const rows: EvalMetric[] = [];
    for (const [split, source] of evalSets) {
      const metric = { step, split, ...(await evaluate(session, source, spec.batchSize, classification)) };
      appendMetric(runDir, metric);
      emit({ type: 'eval', metric });
      rows.push(metric);
    }
    return rows;
  };
  const checkpoint = async () => {
    const dir = checkpointDir(runDir, session.step);
    const params: Record<string, { dims: number[]; data: Float32Array }> = {};
    const dims = new Map(session.parameters.map((p) => [p.name, p.dims]));
    for (const p of session.trainable) params[p.name] = { dims: dims.get(p.name)!, data: p.data };
    await saveCheckpoint(dir, {
      params, optimizer: session.optimizerState!.stateTensors(),
      state: { step: session.step, epoch, batchInEpoch, optimizer: session.optimizerState!.stateScalars(), specHash: specHash(spec), seed: spec.seed },
    });
    emit({ type: 'checkpoint', step: session.step, dir });
  };

  const before = resumedFrom === undefined ? await runEval(0) : [];
  const stopAt = Math.min(totalSteps, opts.stopAfter ?? totalSteps);
  let stepSeconds = 0, stepsRun = 0;
  try {
    while (session.step < stopAt && !opts.signal?.aborted) {
      let micro = 0, lossSum = 0, t0 = performance.now();
      session.lazyResetGrad();
      for await (const batch of skip(train.batches(spec.batchSize, { shuffle: spec.shuffle, seed: spec.seed, epoch, dropLast: true }), batchInEpoch)) {
        lossSum += (await session.trainStep(batchFeeds(batch))).loss;
        batchInEpoch++;
        if (++micro < accumulation) continue;
        const { lr, gradNorm } = session.optimizerStep();
        const seconds = (performance.now() - t0) / 1000;
        stepSeconds += seconds;
        stepsRun++;
        const metric = { step: session.step, loss: lossSum / micro, lr, gradNorm, seconds, epoch };
        appendMetric(runDir, metric);
        emit({ type: 'step', metric });
        micro = 0;
        lossSum = 0;
        session.lazyResetGrad();
        if (spec.evalEvery && session.step % spec.evalEvery === 0 && session.step < totalSteps) await runEval(session.step);
        if (spec.checkpointEvery && session.step % spec.checkpointEvery === 0) await checkpoint();
        if (session.step >= stopAt || opts.signal?.aborted) break;
        t0 = performance.now();
      }
      if (session.step < stopAt && !opts.signal?.aborted) {
        epoch++;
        batchInEpoch = 0;
      }
    }
    const after = await runEval(session.step);
    if (dataset.skipped > 0) {
      const shown = dataset.skippedRows.slice(0, 5).map((r) => `  ${r.file}:${r.line}: ${r.reason}`).join('\n');
      emit({ type: 'log', level: 'warn', message: `skipped ${dataset.skipped} bad rows (skipBadRows), e.g.:\n${shown}` });
    }
    await checkpoint();
    const completed = session.step >= totalSteps;
    let exported: string | undefined;
    if (completed) {
      exported = path.join(runDir, RUN_FILES.model);
      await session.exportModelForInference(exported, { metadata: dataset.labels ? { labels: JSON.stringify(dataset.labels) } : {} });
    }
    const summary: RunSummary = {
      runDir, status: completed ? 'completed' : 'stopped', steps: session.step, totalSteps, trainableParams, totalParams,
      secondsPerStep: stepsRun ? stepSeconds / stepsRun : 0, before, after, modelPath: exported,
    };
    await writeRunState(runDir, { ...state, status: summary.status, step: session.step, updatedAt: new Date().toISOString() });
    emit({ type: 'done', summary });
    return summary;
  } catch (e) {
    await writeRunState(runDir, { ...state, status: 'failed', step: session.step, updatedAt: new Date().toISOString(), error: (e as Error).message });
    throw e;
  } finally {
    await session.release();
  }
}

async function firstBatch(source: BatchSource, batchSize: number): Promise<Batch> {
  for await (const b of source.batches(batchSize, { shuffle: false, seed: 0, epoch: 0 })) return b;
  throw new UserError('the training data has no rows');
}

async function* skip<T>(it: AsyncIterable<T>, n: number): AsyncIterable<T> {
  let i = 0;
  for await (const x of it) if (i++ >= n) yield x;
}
