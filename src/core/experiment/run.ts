import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelProto } from 'onnx-buf';
import { writeJsonAtomic } from '../checkpoints/atomic.js';
import { writeSafetensors } from '../checkpoints/safetensors.js';
import { checkpointDir, listCheckpoints, loadCheckpoint, removeStaleTemps, saveCheckpoint, type CheckpointEntry } from '../checkpoints/checkpoint.js';
import { openDataset } from '../data/index.js';
import type { Batch, BatchSource, ModelInput } from '../data/types.js';
import { UserError } from '../onnx/errors.js';
import { exportWarnings } from '../onnx/lint.js';
import { loadModel } from '../onnx/model.js';
import { modelLabelNames } from '../model-labels.js';
import { DT } from '../onnx/tensor.js';
import { readValueInfo } from '../onnx/value-info.js';
import { batchFeeds, TrainingSession } from '../session.js';
import type { LossChoice } from '../training-graph.js';
import type { EvalMetric, RunEvent, RunSummary } from './events.js';
import { validateGraph } from '../onnx/graph-check.js';
import { createRunDir, forkRun, ioError, oneLine, pidAlive, readMetrics, RUN_FILES, RunWriter, truncateMetrics, type RunFs } from './run-dir.js';
import type { ExperimentSpec } from './spec.js';
import { EvalPredictions, predictClass, type PredictionRecorder } from './predictions.js';
import { withRetentionMix } from './retention-mix.js';
import { GradualUnfreeze } from './unfreeze.js';
import { initialStateInputs } from '../initial-states.js';

export interface RunOptions {
  /** Directory the spec's relative paths start from (the experiment file's folder). */
  baseDir: string;
  onEvent?: (event: RunEvent) => void;
  /** Stops after the current step, with a checkpoint, when aborted. */
  signal?: AbortSignal;
  /** Continue this run directory from its latest checkpoint (from the start if it has none). */
  resume?: string;
  /**
   * Continue from this checkpoint (`<run>/checkpoints/step-N`): in its run when it is the latest, else in a new
   * run folder `<run>-from-step-N` that leaves the later history of `<run>` alone.
   */
  resumeFrom?: string;
  /** File operations for run.json and metrics.jsonl; tests inject failing ones. */
  fs?: RunFs;
  /** Stop after this many steps of the run (the schedule still spans the whole run); for tests and demos. */
  stopAfter?: number;
  /** The experiment file the spec came from, recorded in the run folder so the extension can group runs by it. */
  experimentFile?: string;
}

/**
 * Graph inputs that are fed data (not initializers), with the types the data layer produces. LSTM/GRU initial
 * states are not: the session feeds them zeros, as PyTorch starts without them (see initial-states.ts).
 */
export function modelInputs(model: ModelProto): ModelInput[] {
  const skip = new Set([...model.graph!.initializer.map((t) => t.name), ...initialStateInputs(model.graph!).keys()]);
  return model.graph!.input.filter((i) => !skip.has(i.name)).map((i) => {
    const v = readValueInfo(i);
    return { name: i.name, type: v?.elemType === DT.INT64 || v?.elemType === DT.INT32 ? 'int64' : 'float32', dims: v?.dims ?? [] };
  });
}

/** How many target values a regression row must give: the element count of the output the loss reads, when declared. */
export function targetValues(model: ModelProto, output: string | undefined): { count: number; what: string } | undefined {
  const declared = model.graph!.output.find((o) => o.name === (output ?? model.graph!.output[0]?.name));
  const dims = declared ? readValueInfo(declared)?.dims.slice(1) : undefined;
  if (!dims || dims.some((d) => typeof d !== 'number')) return undefined;
  return { count: (dims as number[]).reduce((a, b) => a * b, 1), what: `output '${declared!.name}' [batch,${dims.join(',')}]` };
}

function specHash(spec: ExperimentSpec): string {
  const { output: _o, steps: _s, ...rest } = spec;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 16);
}

/** Mean loss (and accuracy for classification) over a whole split, in file order. */
async function evaluate(session: TrainingSession, source: BatchSource, batchSize: number, classification: boolean, record?: PredictionRecorder): Promise<Omit<EvalMetric, 'step' | 'split'>> {
  let loss = 0, correct = 0, n = 0;
  for await (const batch of source.batches(batchSize, { shuffle: false, seed: 0, epoch: 0 })) {
    const r = await session.evalStep(batchFeeds(batch));
    record?.(batch, r.prediction);
    loss += r.loss * batch.size;
    if (classification) correct += countCorrect(r.prediction.data as Float32Array, r.prediction.dims as number[], batch, session.loss);
    n += batch.size;
  }
  if (n === 0) return { loss: NaN, examples: 0 };
  return { loss: loss / n, accuracy: classification ? correct / n : undefined, examples: n };
}

function countCorrect(output: Float32Array, dims: number[], batch: Batch, loss: LossChoice): number {
  const classes = dims[dims.length - 1], threshold = thresholdOf(loss);
  let correct = 0;
  for (let i = 0; i < batch.size; i++) {
    if (BigInt(predictClass(output, i, classes, threshold).index) === (batch.labels.data as BigInt64Array)[i]) correct++;
  }
  return correct;
}

/** A single-output binary classifier's threshold (see `predictClass`). */
const thresholdOf = (loss: LossChoice) => ('threshold' in loss ? loss.threshold : undefined);

/** Where a run continues: an existing run folder from one of its checkpoints (none: start over in it). */
interface ResumePoint {
  runDir: string;
  checkpoint?: CheckpointEntry;
  /** Set when the checkpoint is not the run's latest: continue in a fork, leaving the later history alone. */
  fork?: boolean;
}

async function resumePoint(opts: RunOptions): Promise<ResumePoint | undefined> {
  if (opts.resumeFrom) {
    const dir = path.resolve(opts.resumeFrom);
    const runDir = path.dirname(path.dirname(dir));
    const all = await listCheckpoints(runDir);
    const i = all.findIndex((c) => c.dir === dir);
    if (i < 0) throw new UserError(`${opts.resumeFrom}: not a checkpoint of a run (expected <run>/checkpoints/step-N)`);
    return { runDir, checkpoint: all[i], fork: i < all.length - 1 };
  }
  if (!opts.resume) return undefined;
  if (!fs.existsSync(path.join(opts.resume, RUN_FILES.experiment)) && !fs.existsSync(path.join(opts.resume, RUN_FILES.status))) {
    throw new UserError(`${opts.resume}: not a run folder (no ${RUN_FILES.experiment} or ${RUN_FILES.status})`);
  }
  return { runDir: opts.resume, checkpoint: (await listCheckpoints(opts.resume)).at(-1) };
}

/** An error from building or running the training graph, named by the model file unless it names something. */
function modelError(e: unknown, modelPath: string): Error {
  if (e instanceof UserError || (e as Error).name === 'DataError') return e as Error;
  return new UserError(`${modelPath}: ${oneLine(e).replace(/^\[ONNXRuntimeError\] : \d+ : \w+ : /, '')}`, { cause: e });
}

/** Runs (or resumes) one experiment: the single code path of the CLI, the extension's child process and the demo. */
export async function runExperiment(spec: ExperimentSpec, opts: RunOptions): Promise<RunSummary> {
  const emit = (e: RunEvent) => opts.onEvent?.(e);
  const resolve = (p: string) => path.resolve(opts.baseDir, p);

  // Set-up reads everything and writes nothing: a bad model, data file or checkpoint leaves no run folder behind
  // and an existing run untouched.
  const from = await resumePoint(opts);
  const modelPath = resolve(spec.model);
  const model = loadModel(modelPath);
  validateGraph(model, modelPath);
  const inputs = modelInputs(model);
  // A row that fails only once a batch reads it (a corrupt image) is skipped unless the experiment says otherwise:
  // a run should not die at step 900 for one bad file.
  const onBadRow = spec.data.onBadRow ?? 'skip';
  // String labels map onto the class names the model carries (an integer label is an output index either way).
  const modelLabels = spec.task === 'classification' && !spec.data.labels ? modelLabelNames(model) : undefined;
  const targets = spec.task === 'regression' ? targetValues(model, spec.modelOutput ?? spec.prediction) : undefined;
  const dataset = await openDataset({ ...spec.data, onBadRow }, { baseDir: opts.baseDir, modelPath, inputs, task: spec.task, modelLabels, targetValues: targets });
  const retention = spec.retention
    ? (await openDataset({ train: spec.retention.data, labels: dataset.labels, onBadRow }, { baseDir: opts.baseDir, modelPath, inputs, task: spec.task })).splits.train
    : undefined;
  const train = await withRetentionMix(spec, dataset, { baseDir: opts.baseDir, modelPath, inputs, task: spec.task }, emit);
  const evalSets: [string, BatchSource][] = [];
  if (dataset.splits.validation) evalSets.push(['validation', dataset.splits.validation]);
  if (retention) evalSets.push([spec.retention!.name ?? 'retention', retention]);

  const accumulation = spec.gradientAccumulation;
  // Warnings found while setting up are told after the 'start' event, like every other message of the run.
  const warnings: string[] = [], notes: string[] = [];
  if (modelLabels && dataset.labels === modelLabels) notes.push(`labels mapped onto the model's class names (${modelLabels.length}: ${modelLabels.slice(0, 10).join(', ')}${modelLabels.length > 10 ? ', …' : ''})`);
  const batchSize = trainBatchSize(train.size, spec.batchSize, accumulation, (message) => warnings.push(message));
  const stepsPerEpoch = Math.max(1, Math.floor(train.size / (batchSize * accumulation)));
  const totalSteps = spec.steps ?? Math.max(1, Math.round((spec.epochs ?? 1) * stepsPerEpoch));

  const first = await firstBatch(train, batchSize);
  let session: TrainingSession;
  try {
    session = await TrainingSession.create(model, batchFeeds(first), {
      task: spec.task, freeze: spec.freeze, optimizer: spec.optimizer, totalSteps, groups: spec.groups,
      gradientAccumulation: accumulation, threads: spec.threads, prediction: spec.modelOutput ?? spec.prediction,
      lora: spec.lora && { ...spec.lora, seed: spec.seed, init: spec.lora.init && resolve(spec.lora.init) },
    });
  } catch (e) {
    throw modelError(e, modelPath);
  }
  const labels = allClasses(dataset.labels, session.classes);
  const unfreeze = new GradualUnfreeze(spec.unfreeze, spec.freeze, session, totalSteps, emit);
  let epoch = 0, batchInEpoch = 0, resumedFrom: number | undefined;
  let runDir: string, writer: RunWriter;
  try {
    if (from?.checkpoint) {
      const ckpt = await loadCheckpoint(from.checkpoint.dir);
      const s = ckpt.state as { step: number; epoch: number; batchInEpoch: number; optimizer: Record<string, number>; specHash: string };
      if (s.specHash !== specHash(spec)) warnings.push('the experiment changed since this checkpoint was written');
      await unfreeze.restore(session, s.step);
      for (const p of session.trainable) {
        const saved = ckpt.params[p.name];
        if (!saved) throw new UserError(`${from.checkpoint.dir}: checkpoint has no parameter '${p.name}'`);
        if (saved.data.length !== p.data.length) throw new UserError(`${from.checkpoint.dir}: parameter '${p.name}' has ${saved.data.length} values, the model ${p.data.length}`);
        p.data.set(saved.data);
      }
      session.optimizerState!.loadState(ckpt.optimizer, s.optimizer);
      session.step = s.step;
      ({ epoch, batchInEpoch } = s);
      resumedFrom = s.step;
    }

    // The run folder: only now is anything written.
    const files: Record<string, unknown> = { [RUN_FILES.experiment]: { ...spec, model: modelPath, baseDir: opts.baseDir, experimentFile: opts.experimentFile } };
    if (labels) files[RUN_FILES.labels] = labels;
    if (!from) {
      const output = resolve(spec.output);
      await removeStaleTemps(output, pidAlive);
      runDir = newRunDir(output, spec.name ?? path.basename(modelPath, '.onnx'), files);
    } else {
      runDir = from.fork ? forkRun(from.runDir, from.checkpoint!) : from.runDir;
      for (const [file, value] of Object.entries(files)) {
        if (!fs.existsSync(path.join(runDir, file))) await writeJsonAtomic(path.join(runDir, file), value).catch((e) => { throw ioError(e, runDir); });
      }
      await removeStaleTemps(runDir, pidAlive);
      await removeStaleTemps(path.join(runDir, RUN_FILES.checkpoints), pidAlive);
      // Rows after the checkpoint are redone; with no checkpoint the run starts over.
      truncateMetrics(runDir, resumedFrom ?? -1, opts.fs);
      if (!from.checkpoint) warnings.push(`${runDir}: no checkpoint yet, starting the run over`);
    }
    writer = new RunWriter(runDir, {
      status: 'running', pid: process.pid, startedAt: new Date().toISOString(), updatedAt: new Date().toISOString(),
      step: session.step, totalSteps, ...(dataset.skipped ? { badRows: dataset.skipped } : {}),
    }, opts.fs);
    try {
      writer.start();
    } catch (e) {
      if (!from) fs.rmSync(runDir, { recursive: true, force: true });
      throw e;
    }
  } catch (e) {
    await session.release();
    throw e;
  }

  const totalParams = session.parameterCount(false), trainableParams = session.parameterCount(true);
  const frozen = session.parameters.filter((p) => !session.trainable.some((t) => t.name === p.name)).map((p) => p.name);
  emit({ type: 'start', runDir, pid: process.pid, totalSteps, trainableParams, totalParams, frozen, resumedFrom });
  for (const message of [...warnings, ...exportWarnings(model)]) emit({ type: 'log', level: 'warn', message });
  for (const message of [...session.loadNotes, ...notes]) emit({ type: 'log', level: 'info', message });
  emit({ type: 'log', level: 'info', message: `loss: ${session.loss.note}` });
  if (session.noGradient.length) emit({ type: 'log', level: 'warn', message: `parameters that do not affect the loss stay frozen: ${session.noGradient.join(', ')}${session.noGradientReason ? ` (${session.noGradientReason})` : ''}` });
  let reportedBad = 0;
  const reportBadRows = () => {
    if (dataset.skipped === reportedBad) return;
    const shown = dataset.skippedRows.slice(reportedBad).map((r) => `\n  ${r.file}${r.line ? `:${r.line}` : ''}: ${r.reason}`).join('');
    emit({ type: 'log', level: 'warn', message: `skipped ${dataset.skipped - reportedBad} bad row${dataset.skipped - reportedBad > 1 ? 's' : ''} (${dataset.skipped} in all)${shown}` });
    reportedBad = dataset.skipped;
    writer.state.badRows = dataset.skipped;
  };
  reportBadRows();

  const classification = spec.task === 'classification';
  const predictions = new EvalPredictions(classification && evalSets.length > 0, thresholdOf(session.loss));
  // The eval rows of the step they were last written at, so one step is never evaluated (and written) twice.
  let lastEval: { step: number; rows: EvalMetric[] } | undefined;
  if (resumedFrom !== undefined) {
    const rows = readMetrics(runDir).filter((r) => r.step === resumedFrom && typeof r.split === 'string') as unknown as EvalMetric[];
    if (rows.length) lastEval = { step: resumedFrom, rows };
  }
  const runEval = async (step: number): Promise<EvalMetric[]> => {
    if (lastEval?.step === step) return lastEval.rows;
    const rows: EvalMetric[] = [];
    for (const [split, source] of evalSets) {
      const metric = { step, split, ...(await evaluate(session, source, spec.batchSize, classification, predictions.recorder(step, split))) };
      writer.appendMetric(metric);
      emit({ type: 'eval', metric });
      rows.push(metric);
    }
    lastEval = { step, rows };
    return rows;
  };
  // Where the last completed step left the data: what a checkpoint records, even when a later batch failed.
  let done = { epoch, batchInEpoch };
  let checkpointed = resumedFrom ?? 0, recorded = session.step;
  const checkpoint = async () => {
    if (predictions.stale(session.step)) await runEval(session.step);
    const dir = checkpointDir(runDir, session.step);
    const params: Record<string, { dims: number[]; data: Float32Array }> = {};
    const dims = new Map(session.parameters.map((p) => [p.name, p.dims]));
    for (const p of session.trainable) params[p.name] = { dims: dims.get(p.name)!, data: p.data };
    try {
      await saveCheckpoint(dir, {
        params, optimizer: session.optimizerState!.stateTensors(),
        state: { ...done, step: session.step, optimizer: session.optimizerState!.stateScalars(), specHash: specHash(spec), seed: spec.seed },
        files: predictions.files(session.step),
      });
    } catch (e) {
      throw ioError(e, dir);
    }
    checkpointed = session.step;
    writer.write({ step: session.step });
    emit({ type: 'checkpoint', step: session.step, dir });
  };

  const stopAt = Math.min(totalSteps, opts.stopAfter ?? totalSteps);
  let stepSeconds = 0, stepsRun = 0;
  try {
    const before = resumedFrom === undefined ? await runEval(0) : [];
    while (session.step < stopAt && !opts.signal?.aborted) {
      let micro = 0, lossSum = 0, t0 = performance.now();
      const stepAtEpochStart = session.step, fromEpochStart = batchInEpoch === 0;
      session.lazyResetGrad();
      for await (const batch of skip(train.batches(batchSize, { shuffle: spec.shuffle, seed: spec.seed, epoch, dropLast: true }), batchInEpoch)) {
        lossSum += (await session.trainStep(batchFeeds(batch))).loss;
        batchInEpoch++;
        if (++micro < accumulation) continue;
        const { lr, gradNorm } = session.optimizerStep();
        done = { epoch, batchInEpoch };
        const seconds = (performance.now() - t0) / 1000;
        stepSeconds += seconds;
        stepsRun++;
        const metric = { step: session.step, loss: lossSum / micro, lr, gradNorm, seconds, epoch };
        writer.appendMetric(metric);
        recorded = session.step;
        Object.assign(writer.state, { step: session.step, loss: metric.loss });
        emit({ type: 'step', metric });
        reportBadRows();
        micro = 0;
        lossSum = 0;
        session.lazyResetGrad();
        await unfreeze.advance(session);
        if (spec.evalEvery && session.step % spec.evalEvery === 0 && session.step < totalSteps) await runEval(session.step);
        if (spec.checkpointEvery && session.step % spec.checkpointEvery === 0) await checkpoint();
        if (session.step >= stopAt || opts.signal?.aborted) break;
        t0 = performance.now();
      }
      if (session.step < stopAt && !opts.signal?.aborted) {
        // An epoch that trained nothing would be followed by another: stop instead of spinning.
        if (fromEpochStart && session.step === stepAtEpochStart) {
          throw new UserError(`epoch ${epoch} gave no complete batch of ${batchSize}${accumulation > 1 ? ` × ${accumulation}` : ''} rows from ${train.size} training rows${dataset.skipped ? ` (${dataset.skipped} bad rows skipped)` : ''}`);
        }
        epoch++;
        batchInEpoch = 0;
        done = { epoch, batchInEpoch };
      }
    }
    const after = await runEval(session.step);
    reportBadRows();
    if (checkpointed !== session.step) await checkpoint();
    const completed = session.step >= totalSteps;
    let exported: string | undefined;
    if (completed) {
      exported = path.join(runDir, RUN_FILES.model);
      const note = await session.exportModelForInference(exported, { metadata: labels ? { labels: JSON.stringify(labels) } : {} }).catch((e) => {
        throw ioError(e, exported!);
      });
      if (note) emit({ type: 'log', level: 'warn', message: note });
      if (session.lora) await writeSafetensors(path.join(runDir, RUN_FILES.adapters), session.loraAdapters()).catch((e) => { throw ioError(e, runDir); });
    }
    const summary: RunSummary = {
      runDir, status: completed ? 'completed' : 'stopped', steps: session.step, totalSteps, trainableParams, totalParams,
      secondsPerStep: stepsRun ? stepSeconds / stepsRun : 0, before, after, modelPath: exported,
    };
    const failed = writer.finish(summary.status);
    if (failed) throw failed;
    emit({ type: 'done', summary });
    return summary;
  } catch (e) {
    // Keep the steps already done: a checkpoint of the last one trained and recorded, unless that is what failed.
    if (session.step > checkpointed && session.step === recorded) await checkpoint().catch(() => {});
    throw writer.finish('failed', e) ?? e;
  } finally {
    await session.release();
  }
}

/** The batch size for training: the data smaller than one batch gives one smaller batch (with a warning). */
function trainBatchSize(rows: number, batchSize: number, accumulation: number, warn: (m: string) => void): number {
  if (rows === 0) throw new UserError('the training data has no rows after the validation/test splits');
  if (rows < accumulation) throw new UserError(`gradientAccumulation ${accumulation} needs at least ${accumulation} training rows; there are ${rows}`);
  if (rows >= batchSize * accumulation) return batchSize;
  const clamped = Math.floor(rows / accumulation);
  warn(`batchSize ${batchSize}${accumulation > 1 ? ` × gradientAccumulation ${accumulation}` : ''} is more than the ${rows} training rows: using batches of ${clamped}`);
  return clamped;
}

/** A new run folder under `output`, as one error naming the folder when it cannot be made. */
function newRunDir(output: string, name: string, files: Record<string, unknown>): string {
  try {
    return createRunDir(output, name, files);
  } catch (e) {
    throw ioError(e, output);
  }
}

/** Integer labels are output indices: labels.json names every output class, not just 0..max(label) seen. */
function allClasses(labels: string[] | undefined, classes: number | undefined): string[] | undefined {
  if (!labels || !classes || classes <= labels.length || !labels.every((l, i) => l === String(i))) return labels;
  return Array.from({ length: classes }, (_, i) => String(i));
}

async function firstBatch(source: BatchSource, batchSize: number): Promise<Batch> {
  for await (const b of source.batches(batchSize, { shuffle: false, seed: 0, epoch: 0 })) return b;
  throw new UserError('the training data has no usable rows');
}

async function* skip<T>(it: AsyncIterable<T>, n: number): AsyncIterable<T> {
  let i = 0;
  for await (const x of it) if (i++ >= n) yield x;
}
