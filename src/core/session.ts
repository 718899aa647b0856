import { create } from '@bufbuild/protobuf';
import { TensorProtoSchema, type ModelProto, type TensorProto } from 'onnx-buf';
import ort from 'onnxruntime-node';
import type { Batch, HostTensor } from './data/types.js';
import { initialStateInputs, withZeroStates } from './initial-states.js';
import { matchesAny, parameterInfos, type ParamInfo } from './module-tree.js';
import { UserError } from './onnx/errors.js';
import { cloneSharingInitializers, loadModel, saveModel, serializeModel } from './onnx/model.js';
import { DT, floatView, makeTensor, numel, tensorValues } from './onnx/tensor.js';
import { clipGradNorm, createOptimizer, lrAt } from './optim/index.js';
import type { Optimizer, OptimizerSpec, ParamGroup, TrainParam } from './optim/types.js';
import type { Tensor } from './checkpoints/safetensors.js';
import { adapterTensors, mergedWeights, mergeLora } from './lora/merge.js';
import { normalizedExportNote, originalWithValues } from './original-form.js';
import { applyLora, loraTrainable, type LoraOptions } from './lora/setup.js';
import type { LoraInjection } from './lora/types.js';
import { RELAXED_BATCH } from './onnx/normalize.js';
import { batchRows, rowOf, rowShares, stackRows } from './rows.js';
import { initializerFeed } from './shape-probe.js';
import { makeValueInfo } from './onnx/value-info.js';
import {
  checkLabelRange, compileTraining, FixedBatchError, LABELS, LOSS, prepareModel, relaxedNote, type Feeds, type LossChoice, type Task, type TrainingModels,
} from './training-graph.js';

export interface GroupSpec {
  /** Globs on parameter names / module paths (first matching group wins). */
  match: string[];
  lrScale?: number;
  weightDecay?: number;
}

export interface SessionOptions {
  task: Task;
  /** Globs of parameters to keep frozen (ONNX name, path or module path). */
  freeze?: string[];
  /** Globs of parameters that train even though `freeze` matches them (the stages gradual unfreezing has thawed). */
  thaw?: string[];
  optimizer?: OptimizerSpec;
  /** Steps of the whole run, for the learning-rate schedule. */
  totalSteps?: number;
  /** Per-group learning rates (discriminative LR); parameters no group matches use lrScale 1. */
  groups?: GroupSpec[];
  /** Micro-batches whose gradients are averaged into one optimizer step. */
  gradientAccumulation?: number;
  threads?: number;
  /** Model output the loss is computed from (default: the first output). */
  prediction?: string;
  /** LoRA: only adapters (and `trainAlso`) train; `freeze` and `thaw` are not used. */
  lora?: LoraOptions;
}

export interface StepResult { loss: number; prediction: ort.Tensor }
export interface OptimizerStepResult { lr: number; gradNorm: number }

export function hostToOrt(t: HostTensor): ort.Tensor {
  return new ort.Tensor(t.type, t.data, t.dims);
}

export function batchFeeds(batch: Batch): Feeds {
  const feeds: Feeds = {};
  for (const [name, t] of Object.entries(batch.inputs)) feeds[name] = hostToOrt(t);
  feeds[LABELS] = hostToOrt(batch.labels);
  return feeds;
}

/**
 * A training session over onnxruntime-node's InferenceSession, shaped like ONNX Runtime's TrainingSession.
 * Trainable parameters live in one contiguous Float32Array and are fed to the training graph at every step;
 * frozen parameters are constants of the graph, so their backward branches do not exist.
 */
export class TrainingSession {
  /** Every parameter of the model (trainable or not). */
  readonly parameters: ParamInfo[];
  /** The parameters the current training graph trains (replaced when `thaw` recompiles it). */
  trainable: TrainParam[] = [];
  readonly groups: ParamGroup[];
  /** Parameters asked to train that cannot affect the loss (left frozen). */
  noGradient: string[] = [];
  /** Where their gradient stops, when they reach the loss only through ops with no gradient (Round, ArgMax…). */
  noGradientReason?: string;
  /** The loss the graph computes, and why it was chosen (logged by the run). */
  loss!: LossChoice;
  /** The graph only runs with its exported batch of 1: each batch runs row by row (see trainStep). */
  rowByRow = false;
  /** What loading changed to read the file (opset upgrade, Constant weights, folded If, relaxed batch). */
  loadNotes: string[] = [];
  /** The model as given (a path is read again when exporting, not held), before prepareModel: what the export writes into. */
  private original!: string | ModelProto;
  step = 0;
  /** Where set-up time went, in seconds: loading and preparing the model, the shape probe, building the training
   * and eval graphs, and ONNX Runtime creating their sessions (the last compile, after a thaw). */
  setupSeconds = { load: 0, probe: 0, graph: 0, sessions: 0 };
  /** Frozen weights fed to the sessions (views of the prepared model's tensors, see feedingLargeInitializers). */
  private constants: Feeds = {};
  private buffer = new Float32Array(0);
  private gradBuffer = new Float32Array(0);
  private resetPending = true;
  private microSteps = 0;
  private readonly optimizer?: Optimizer;
  private readonly thawed: string[];
  /** Initial-state inputs of LSTM/GRU nodes, fed zeros when a batch has none (see initial-states.ts). */
  private states = new Map<string, (number | string)[]>();
  /** The adapters the graph carries, when training LoRA. */
  lora?: LoraInjection;

  private constructor(
    private prepared: ModelProto,
    private compiled: TrainingModels,
    private trainSession: ort.InferenceSession,
    private evalSession: ort.InferenceSession,
    private readonly sample: Feeds,
    private readonly opts: SessionOptions,
    packed?: Packed,
  ) {
    this.parameters = parameterInfos(prepared.graph!);
    const groupSpecs = opts.groups ?? [];
    this.groups = [...groupSpecs.map((g) => ({ lrScale: g.lrScale ?? 1, weightDecay: g.weightDecay })), { lrScale: 1 }];
    this.thawed = [...(opts.thaw ?? [])];
    this.layOut(packed);
    if (opts.optimizer) this.optimizer = createOptimizer(opts.optimizer);
  }

  /**
   * Contiguous buffers and `trainable` views for the compiled graph's parameters, valued from `prepared`; `packed`,
   * when it holds exactly those parameters in that order, becomes the parameter buffer as it is.
   */
  private layOut(packed?: Packed): void {
    const { compiled, prepared } = this;
    this.noGradient = compiled.noGradient;
    this.noGradientReason = compiled.noGradientReason;
    this.loss = compiled.loss;
    const inits = new Map(prepared.graph!.initializer.map((t) => [t.name, t]));
    const total = compiled.params.reduce((n, p) => n + numel(inits.get(p)!.dims), 0);
    const adopt = packed && packed.names.length === compiled.params.length && packed.names.every((n, i) => n === compiled.params[i]);
    this.buffer = adopt ? packed.buffer : new Float32Array(total);
    this.gradBuffer = new Float32Array(total);
    this.directFetches = undefined;
    this.scratch = undefined;
    this.resetPending = true;
    this.microSteps = 0;
    const groupSpecs = this.opts.groups ?? [];
    const infoByName = new Map(this.parameters.map((p) => [p.name, p]));
    this.trainable = [];
    let offset = 0;
    for (const name of compiled.params) {
      const init = inits.get(name)!;
      const n = numel(init.dims);
      const data = this.buffer.subarray(offset, offset + n);
      if (!adopt) {
        data.set(floatView(init));
        inits.set(name, viewTensor(init, data));
      }
      const info = infoByName.get(name)!;
      const g = groupSpecs.findIndex((spec) => matchesAny(info, spec.match));
      this.trainable.push({ name, data, grad: this.gradBuffer.subarray(offset, offset + n), group: g < 0 ? groupSpecs.length : g });
      offset += n;
    }
    prepared.graph!.initializer = prepared.graph!.initializer.map((t) => inits.get(t.name)!);
  }

  /** Loads (if a path), prepares and compiles a model; `sample` is one batch, used to learn every value's shape. */
  static async create(model: string | ModelProto, sample: Feeds, opts: SessionOptions): Promise<TrainingSession> {
    const start = performance.now();
    const source = typeof model === 'string' ? model : 'model';
    const loadNotes: string[] = [];
    let prepared = prepareModel(typeof model === 'string' ? loadModel(model) : model, source, loadNotes);
    const lora = opts.lora && (await applyLora(prepared, opts.lora));
    if (lora) prepared = lora.model;
    const params = parameterInfos(prepared.graph!);
    const trainable = lora ? loraTrainable(params, lora.lora, opts.lora!.trainAlso) : trainableNames(params, opts.freeze ?? [], opts.thaw ?? []);
    if (params.some((p) => p.dims.length > 0) && trainable.length === 0) {
      throw new UserError(`every parameter is frozen by ${JSON.stringify(opts.freeze ?? [])}: nothing to train`);
    }
    const states = initialStateInputs(prepared.graph!);
    const packed = packParameters(prepared, trainable);
    const load = (performance.now() - start) / 1e3;
    let rowByRow = false, full = withZeroStates(states, sample);
    const sessions = await compileSessions(prepared, trainable, full, opts).catch(async (e) => {
      if (!(e instanceof FixedBatchError) || batchRows(sample) < 2) throw e;
      // The graph only runs with the batch of 1 it was exported with: every batch runs row by row.
      rowByRow = true;
      full = withZeroStates(states, rowOf(sample, 0));
      const relaxed = prepared.graph!.input.filter((i) => i.docString === RELAXED_BATCH).map((i) => i.name);
      if (loadNotes.includes(relaxedNote(relaxed))) loadNotes.splice(loadNotes.indexOf(relaxedNote(relaxed)), 1);
      loadNotes.push(`input ${e.inputs.join(', ')} has a fixed batch of 1 that the graph depends on (${e.reason}): each batch runs row by row, `
        + `its rows' gradients averaged into the batch's (the same step as one batch, more slowly)`);
      return compileSessions(prepared, trainable, full, opts);
    });
    const { compiled, trainSession, evalSession, constants, sessionSeconds } = sessions;
    const session = new TrainingSession(prepared, compiled, trainSession, evalSession, full, opts, packed);
    session.states = states;
    session.rowByRow = rowByRow;
    session.constants = constants;
    session.setupSeconds = { load, ...compiled.seconds, sessions: sessionSeconds };
    session.loadNotes = loadNotes;
    session.original = model;
    if (compiled.viaWhere.length) loadNotes.push(`data-dependent If trained through the branch taken (both branches computed): ${compiled.viaWhere.join(', ')}`);
    session.lora = lora?.lora;
    return session;
  }

  /**
   * Also trains the parameters `globs` match (gradual unfreezing), from the next step on: the training graph is
   * recompiled with them as inputs. Every parameter keeps its current value, and the optimizer its state (a thawed
   * parameter gets fresh state at its first update, as in torch when its requires_grad turns on). Call it between
   * optimizer steps: gradients accumulated since the last one are dropped. Returns the newly trained parameters.
   */
  async thaw(globs: string[]): Promise<string[]> {
    const thawed = [...this.thawed, ...globs];
    const names = trainableNames(this.parameters, this.opts.freeze ?? [], thawed);
    const current = new Set(this.trainable.map((p) => p.name).concat(this.noGradient));
    const added = names.filter((n) => !current.has(n));
    if (added.length === 0) {
      this.thawed.push(...globs);
      return [];
    }
    const prepared = this.currentModel();
    const next = await compileSessions(prepared, names, this.sample, this.opts);
    this.thawed.push(...globs);
    await this.release();
    Object.assign(this, { prepared, compiled: next.compiled, trainSession: next.trainSession, evalSession: next.evalSession, constants: next.constants });
    this.setupSeconds = { load: 0, ...next.compiled.seconds, sessions: next.sessionSeconds };
    this.layOut();
    return added.filter((n) => this.trainable.some((p) => p.name === n));
  }

  private paramFeeds(): Feeds {
    const feeds: Feeds = {};
    for (const p of this.trainable) feeds[p.name] = new ort.Tensor('float32', p.data, this.compiled.info.get(p.name)!.shape);
    return feeds;
  }

  private feedsFor(session: ort.InferenceSession, data: Feeds): Feeds {
    const feeds = { ...withZeroStates(this.states, data), ...this.constants, ...this.paramFeeds() };
    const out: Feeds = {};
    for (const name of session.inputNames) {
      if (!feeds[name]) throw new UserError(`the batch has no value for model input '${name}'`);
      out[name] = feeds[name];
    }
    return out;
  }

  /**
   * Output bindings for the training run: every dense gradient output is a pre-allocated tensor over its slice of
   * `target` (laid out like gradBuffer), so ORT writes the gradients there; row gradients (embeddings) come back as
   * rows and indices, added into their slice by scatterRows.
   */
  private gradFetches(target: Float32Array): ort.InferenceSession.FetchesType {
    const fetches: Record<string, ort.Tensor | null> = { [LOSS]: null, [this.compiled.prediction]: null };
    this.compiled.gradOutputs.forEach((out, i) => {
      const p = this.trainable[i];
      if (typeof out !== 'string') fetches[out.indices] = fetches[out.rows] = null;
      else fetches[out] = new ort.Tensor('float32', this.slice(target, i), this.compiled.info.get(p.name)!.shape);
    });
    return fetches as ort.InferenceSession.FetchesType;
  }

  /** Trainable parameter i's part of a buffer laid out like gradBuffer. */
  private slice(buffer: Float32Array, i: number): Float32Array {
    const p = this.trainable[i], offset = p.data.byteOffset / 4 - this.buffer.byteOffset / 4;
    return buffer.subarray(offset, offset + p.data.length);
  }

  /** Sums each row gradient's rows into its parameter's slice of `target` (zeroed first), in order, as ScatterND-add. */
  private scatterRows(result: ort.InferenceSession.ReturnType, target: Float32Array): void {
    this.compiled.gradOutputs.forEach((out, i) => {
      if (typeof out === 'string') return;
      const slice = this.slice(target, i).fill(0);
      const n = this.compiled.info.get(this.trainable[i].name)!.shape[0] as number, size = slice.length / n;
      const indices = result[out.indices].data as BigInt64Array, rows = result[out.rows].data as Float32Array;
      for (let k = 0; k < indices.length; k++) {
        const r = Number(indices[k]), base = (r < 0 ? r + n : r) * size, from = k * size;
        for (let j = 0; j < size; j++) slice[base + j] += rows[from + j];
      }
    });
  }

  private directFetches?: ort.InferenceSession.FetchesType;
  private scratch?: { buffer: Float32Array; fetches: ort.InferenceSession.FetchesType };

  /**
   * The parts one batch runs as, each with its share of the batch's loss: the batch itself, or (rowByRow) its rows,
   * whose losses and gradients weighted by their shares add up to the batch's.
   */
  private parts(data: Feeds): { feeds: Feeds; share: number }[] {
    if (!this.rowByRow) return [{ feeds: data, share: 1 }];
    return rowShares(data, this.opts.task).map((share, i) => ({ feeds: rowOf(data, i), share })).filter((p) => p.share > 0);
  }

  /** Forward + backward on one batch; gradients are added to the accumulated ones (see lazyResetGrad). */
  async trainStep(data: Feeds): Promise<StepResult> {
    checkLabelRange(data[LABELS], this.compiled.classes, this.compiled.prediction);
    const scale = 1 / (this.opts.gradientAccumulation ?? 1);
    let loss = 0;
    const predictions: ort.Tensor[] = [];
    for (const part of this.parts(data)) {
      const r = await this.accumulate(part.feeds, scale * part.share);
      loss += part.share * r.loss;
      predictions.push(r.prediction);
    }
    this.microSteps++;
    return { loss, prediction: stackRows(predictions) };
  }

  /** One run of the training graph; its gradients, times `scale`, overwrite (after a reset) or add to the accumulated ones. */
  private async accumulate(data: Feeds, scale: number): Promise<StepResult> {
    const overwrite = this.resetPending;
    // The first micro-batch of an unscaled step is written straight into the gradient buffer; otherwise into a
    // scratch buffer that is then scaled and copied or added.
    const direct = overwrite && scale === 1;
    if (!direct && !this.scratch) {
      const buffer = new Float32Array(this.gradBuffer.length);
      this.scratch = { buffer, fetches: this.gradFetches(buffer) };
    }
    const fetches = direct ? (this.directFetches ??= this.gradFetches(this.gradBuffer)) : this.scratch!.fetches;
    const result = await this.trainSession.run(this.feedsFor(this.trainSession, data), fetches);
    this.scatterRows(result, direct ? this.gradBuffer : this.scratch!.buffer);
    const loss = Number((result[LOSS].data as Float32Array)[0]);
    if (!Number.isFinite(loss)) {
      this.resetPending = true; // the direct path has already overwritten the gradients: never add to them
      throw new UserError(`the loss is ${loss} at step ${this.step + 1}: lower the learning rate or check the data`);
    }
    if (!direct) {
      const g = this.scratch!.buffer, acc = this.gradBuffer;
      if (overwrite) for (let j = 0; j < g.length; j++) acc[j] = g[j] * scale;
      else for (let j = 0; j < g.length; j++) acc[j] += g[j] * scale;
    }
    this.resetPending = false;
    return { loss, prediction: result[this.compiled.prediction] };
  }

  /** Forward + loss with the current parameters, no gradients. */
  async evalStep(data: Feeds): Promise<StepResult> {
    checkLabelRange(data[LABELS], this.compiled.classes, this.compiled.prediction);
    let loss = 0;
    const predictions: ort.Tensor[] = [];
    for (const part of this.parts(data)) {
      const result = await this.evalSession.run(this.feedsFor(this.evalSession, part.feeds));
      loss += part.share * Number((result[LOSS].data as Float32Array)[0]);
      predictions.push(result[this.compiled.prediction]);
    }
    return { loss, prediction: stackRows(predictions) };
  }

  /** The next gradient computation overwrites the accumulated gradients instead of adding to them. */
  lazyResetGrad(): void {
    this.resetPending = true;
    this.microSteps = 0;
  }

  /** Learning rate the next optimizer step will use. */
  currentLr(): number {
    if (!this.opts.optimizer) throw new Error('no optimizer configured');
    return lrAt(this.opts.optimizer, this.step, this.opts.totalSteps ?? Number.MAX_SAFE_INTEGER);
  }

  /** Clips (if configured), updates every trainable parameter once, and advances the schedule. */
  optimizerStep(): OptimizerStepResult {
    if (!this.optimizer || !this.opts.optimizer) throw new Error('optimizerStep: no optimizer configured');
    if (this.microSteps === 0) throw new Error('optimizerStep: no gradients since the last reset (call trainStep first)');
    const lr = this.currentLr();
    const maxNorm = this.opts.optimizer.maxGradNorm;
    // Clipping needs the norm before the update; otherwise the optimizer sums the squares as it goes.
    const clippedFrom = maxNorm ? clipGradNorm(this.trainable, maxNorm) : undefined;
    const squares = this.optimizer.step(this.trainable, this.groups, lr);
    const norm = clippedFrom ?? Math.sqrt(squares);
    this.step++;
    return { lr, gradNorm: norm };
  }

  get optimizerState(): Optimizer | undefined { return this.optimizer; }

  /** Class count of a cross-entropy head (the output's last dim), when the loss is one. */
  get classes(): number | undefined { return this.compiled.classes; }

  /** A copy of all trainable parameters, concatenated in `trainable` order. */
  getContiguousParameters(): Float32Array {
    return this.buffer.slice();
  }

  loadParametersBuffer(values: Float32Array): void {
    if (values.length !== this.buffer.length) {
      throw new UserError(`parameter buffer has ${values.length} values, the session trains ${this.buffer.length}`);
    }
    this.buffer.set(values);
  }

  parameterCount(trainableOnly: boolean): number {
    return trainableOnly ? this.buffer.length : this.parameters.reduce((n, p) => n + p.size, 0);
  }

  /** The model for inference: the current parameters, LoRA adapters merged into the base weights. */
  inferenceModel(): ModelProto {
    const m = this.currentModel();
    return this.lora ? mergeLora(m, this.lora) : m;
  }

  /** The current adapters in PEFT's safetensors layout (LoRA only). */
  loraAdapters(): Record<string, Tensor> {
    if (!this.lora) throw new Error('loraAdapters: the session does not train LoRA');
    const values = new Map(this.trainable.map((p) => [p.name, p.data]));
    return adapterTensors(this.lora, (name) => values.get(name)!);
  }

  /** The prepared model (with LoRA's nodes, if any) with a copy of the current parameter values as its initializers. */
  private currentModel(): ModelProto {
    const m = cloneSharingInitializers(this.prepared);
    const values = new Map(this.trainable.map((p) => [p.name, p.data]));
    m.graph!.initializer = m.graph!.initializer.map((t) => {
      const v = values.get(t.name);
      return v ? makeTensor(t.name, t.dims.map(Number), v, DT.FLOAT) : t;
    });
    return m;
  }

  /** The trained values as the prepared graph names them, LoRA adapters folded into their base weights. */
  private trainedValues(): Map<string, Float32Array> {
    const values = new Map(this.trainable.map((p) => [p.name, p.data]));
    if (!this.lora) return values;
    const inits = new Map(this.prepared.graph!.initializer.map((t) => [t.name, t]));
    const merged = mergedWeights(this.lora, (n) => values.get(n) ?? (tensorValues(inits.get(n)!) as Float32Array));
    for (const t of this.lora.targets) {
      values.delete(t.a);
      values.delete(t.b);
    }
    for (const [name, w] of merged) values.set(name, w);
    return values;
  }

  /**
   * Writes the fine-tuned model for a plain InferenceSession (large tensors to `<file>.data` when asked): the
   * original graph as given (opset, nodes, every output, control flow, Constant nodes) with the trained values where
   * each came from. When a value has no place there, the normalized graph instead, and the returned note says so.
   */
  async exportModelForInference(file: string, opts: { externalDataThreshold?: number; metadata?: Record<string, string> } = {}): Promise<string | undefined> {
    const original = typeof this.original === 'string' ? loadModel(this.original) : this.original;
    const restored = originalWithValues(original, this.prepared.graph!, this.trainedValues());
    const note = restored.unplaced.length ? normalizedExportNote(restored.unplaced) : undefined;
    const m = note ? this.inferenceModel() : restored.model;
    for (const [key, value] of Object.entries(opts.metadata ?? {})) {
      m.metadataProps = m.metadataProps.filter((p) => p.key !== key);
      m.metadataProps.push({ $typeName: 'onnx.StringStringEntryProto', key, value });
    }
    await saveModel(m, file, { externalDataThreshold: opts.externalDataThreshold });
    return note;
  }

  async release(): Promise<void> {
    await Promise.all([this.trainSession.release(), this.evalSession.release()]);
  }
}

interface Packed { names: string[]; buffer: Float32Array<ArrayBuffer> }

/** A float32 tensor like `t` whose bytes are `data`'s (a view, not a copy). */
function viewTensor(t: TensorProto, data: Float32Array): TensorProto {
  return create(TensorProtoSchema, { ...t, floatData: [], rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) as Uint8Array<ArrayBuffer> });
}

/**
 * Copies the float32 parameters `names` into one contiguous buffer and makes `model`'s tensors views of it, so the
 * parameters exist once (and aligned: ORT is fed views of them, no copies); every other initializer that views a
 * larger buffer gets its own bytes. A model parsed from a file views the file's buffer, which any tensor left
 * pointing into it would keep alive whole.
 */
function packParameters(model: ModelProto, names: string[]): Packed {
  const graph = model.graph!;
  const inits = new Map(graph.initializer.map((t) => [t.name, t]));
  const packed = names.filter((n) => inits.get(n)?.dataType === DT.FLOAT);
  const buffer = new Float32Array(packed.reduce((n, p) => n + numel(inits.get(p)!.dims), 0));
  let offset = 0;
  for (const name of packed) {
    const t = inits.get(name)!, n = numel(t.dims);
    const data = buffer.subarray(offset, offset + n);
    if (t.rawData.length === n * 4) new Uint8Array(buffer.buffer, offset * 4, n * 4).set(t.rawData);
    else data.set(tensorValues(t) as Float32Array);
    inits.set(name, viewTensor(t, data));
    offset += n;
  }
  graph.initializer = graph.initializer.map((t) => {
    const own = inits.get(t.name)!;
    const raw = own.rawData;
    return own !== t || raw.byteLength === raw.buffer.byteLength ? own : create(TensorProtoSchema, { ...t, rawData: new Uint8Array(raw) });
  });
  return { names: packed, buffer };
}

/** Parameters that train: those `freeze` does not match, and those `thaw` matches. */
function trainableNames(params: ParamInfo[], freeze: string[], thaw: string[]): string[] {
  return params.filter((p) => !matchesAny(p, freeze) || matchesAny(p, thaw)).map((p) => p.name);
}

/** The options of the sessions a TrainingSession runs (the bench's profiler uses them too). */
export function ortSessionOptions(threads?: number): ort.InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads ?? 0,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // Idle intra-op workers sleep instead of spin-waiting between kernels. A training step is ~1000 kernels, many
    // of them short; spinning workers take CPU from the thread that runs the next kernel wherever cores are shared
    // or oversubscribed (VMs, the extension host beside VS Code): 611 → 407 ms/step on the bench VM when contended.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
    // ORT's memory pattern plans one block for a whole run from the first run's allocations, on top of the arena
    // that served that run: the arena alone reuses the same memory. Peak RSS of BERT-mini full fine-tuning (batch
    // 16 × 128) 769 → 503 MiB and of BERT-base (8 × 128) 4469 → 3467 MiB, step time unchanged.
    enableMemPattern: false,
  };
}

/** Compiles the training and eval graphs for `trainable` and opens an InferenceSession on each. */
async function compileSessions(prepared: ModelProto, trainable: string[], sample: Feeds, opts: SessionOptions) {
  const compiled = await compileTraining(prepared, { task: opts.task, trainable, sample, prediction: opts.prediction });
  const sessionOptions = ortSessionOptions(opts.threads);
  const start = performance.now();
  const train = feedingLargeInitializers(compiled.train), evaluation = feedingLargeInitializers(compiled.eval);
  const [trainSession, evalSession] = await Promise.all([
    ort.InferenceSession.create(serializeModel(train.model), sessionOptions),
    ort.InferenceSession.create(serializeModel(evaluation.model), sessionOptions),
  ]);
  const constants = { ...train.feeds, ...evaluation.feeds };
  return { compiled, trainSession, evalSession, constants, sessionSeconds: (performance.now() - start) / 1e3 };
}

/**
 * The model with its large float initializers (frozen weights) turned into inputs, and the tensors to feed them:
 * views of the JS copy, so they are neither serialized nor held again by ORT (once per session). ORT can no longer
 * pre-pack or fold them: BERT-mini with embeddings + 2 layers frozen, or LoRA, steps 1–4% slower (same process,
 * alternating), peak RSS 392 → 338 and 449 → 338 MiB.
 */
function feedingLargeInitializers(model: ModelProto): { model: ModelProto; feeds: Feeds } {
  const graph = model.graph!;
  const feeds: Feeds = {};
  const initializer: TensorProto[] = [], input = [...graph.input];
  for (const t of graph.initializer) {
    const feed = initializerFeed(t);
    if (!feed) initializer.push(t);
    else {
      feeds[t.name] = feed;
      input.push(makeValueInfo(t.name, t.dataType, t.dims.map(Number)));
    }
  }
  return { model: { ...model, graph: { ...graph, initializer, input } }, feeds };
}
