import { clone, create } from '@bufbuild/protobuf';
import {
  ModelProtoSchema, NodeProtoSchema, OperatorSetIdProtoSchema, TensorProtoSchema, ValueInfoProtoSchema,
  type GraphProto, type ModelProto, type NodeProto, type TensorProto,
} from 'onnx-buf';
import ort from 'onnxruntime-node';
import { buildBackward, gradientOrigin, gradientStops, valuesRequiringGrad, withSavedOutputs } from './autodiff/backward.js';
import { Emitter, MS_DOMAIN } from './autodiff/emitter.js';
import type { ValueInfo } from './autodiff/rule.js';
import { UserError } from './onnx/errors.js';
import { checkOpset, cloneSharingInitializers, defaultOpset } from './onnx/model.js';
import { attrString, makeAttributes } from './onnx/attributes.js';
import { DT, isFloatType, makeTensor, tensorValues, type TypedArray } from './onnx/tensor.js';
import { makeValueInfo, readValueInfo } from './onnx/value-info.js';
import { isOpaqueName } from './module-tree.js';
import { ifToWhere, normalizeGraph, RELAXED_BATCH, relaxFixedBatch } from './onnx/normalize.js';
import { UPGRADE_TARGET, upgradeModel } from './onnx/upgrade/index.js';
import { allInputs, producersOf, subgraphsOf } from './onnx/walk.js';
import { classificationHead, type ClassificationHead } from './loss-head.js';
import { ORT_TYPES, probeShapes, type Feeds } from './shape-probe.js';

export { probeShapes, type Feeds };

export type Task = 'classification' | 'regression' | 'causal-lm';
export const LOSS = 'loss';
export const LABELS = 'labels';

/**
 * Makes a model trainable: every `Identity(initializer)` that the exporter used to deduplicate equal tensors becomes
 * its own initializer (PyTorch trained them separately), other producers' forms are normalized (normalizeGraph), and opsets below 16 are raised to 16 so gradient rules can
 * use ScatterND/ScatterElements with reduction (the ops used by these models have the same semantics at 13–16).
 */
export function prepareModel(model: ModelProto, source = 'model', notes: string[] = []): ModelProto {
  checkOpset(model, source);
  const m = cloneSharingInitializers(model);
  const upgraded = upgradeModel(m, source);
  if (defaultOpset(model) < UPGRADE_TARGET) {
    const ops = [...upgraded].map(([op, n]) => `${op} ×${n}`).join(', ');
    notes.push(`opset ${defaultOpset(model)} upgraded to ${UPGRADE_TARGET} on load (${ops ? `rewritten: ${ops}` : 'no op changed meaning'})`);
  }
  const opset = defaultOpset(m);
  const graph = m.graph!;
  notes.push(...normalizeGraph(graph));
  const relaxed = relaxFixedBatch(graph);
  if (relaxed.length) notes.push(relaxedNote(relaxed));
  const inits = new Map(graph.initializer.map((t) => [t.name, t]));
  const kept = [];
  for (const n of graph.node) {
    const src = n.opType === 'Identity' ? inits.get(n.input[0]) : undefined;
    if (src && isFloatType(src.dataType) && src.dims.length > 0) {
      const copy = clone(TensorProtoSchema, src);
      copy.name = n.output[0];
      graph.initializer.push(copy);
      inits.set(copy.name, copy);
      continue;
    }
    kept.push(n);
  }
  graph.node = kept;
  constantOperandSecond(graph);
  retieTransposedCopies(graph);
  if (opset < 16) {
    m.opsetImport = m.opsetImport.filter((o) => o.domain !== '' && o.domain !== 'ai.onnx');
    m.opsetImport.push(create(OperatorSetIdProtoSchema, { domain: '', version: 16n }));
  }
  return m;
}

/**
 * Weight tying through a folded Transpose (GPT-2's lm_head.weight is transformer.wte.weight): the TorchScript exporter
 * constant-folds `Transpose(wte)` into a separate initializer (`onnx::MatMul_N`), so the tie is lost and the copy
 * would train on its own. A copy is recognised by value: an exporter-named rank-2 float initializer equal to the
 * transpose of a named one, and not constant (fresh zero/one-filled weights are not tied by accident). It becomes
 * `Transpose(source)`, so the gradients of both uses add up in the one parameter, as in PyTorch.
 */
function retieTransposedCopies(graph: GraphProto): void {
  const named = graph.initializer.filter((t) => !isOpaqueName(t.name) && isFloatType(t.dataType) && t.dims.length === 2);
  if (named.length === 0) return;
  const tied: NodeProto[] = [];
  const values = new Map<TensorProto, TypedArray>();
  const valuesOf = (x: TensorProto) => values.get(x) ?? values.set(x, tensorValues(x)).get(x)!;
  graph.initializer = graph.initializer.filter((t) => {
    if (!isOpaqueName(t.name) || !isFloatType(t.dataType) || t.dims.length !== 2) return true;
    const src = named.find((s) => s.dataType === t.dataType && s.dims[0] === t.dims[1] && s.dims[1] === t.dims[0] && isTransposeOf(valuesOf(t), valuesOf(s), s));
    if (!src) return true;
    tied.push(create(NodeProtoSchema, {
      opType: 'Transpose', name: `${t.name}${TIED}`, input: [src.name], output: [t.name], attribute: makeAttributes({ perm: [1, 0] }),
    }));
    return false;
  });
  graph.node.unshift(...tied);
}

const TIED = '/tied';

/** The copies retieTransposedCopies made `Transpose(source)`: copy name → source name. */
export function tiedCopies(prepared: GraphProto): Map<string, string> {
  const tied = new Map<string, string>();
  for (const n of prepared.node) if (n.opType === 'Transpose' && n.name === `${n.output[0]}${TIED}`) tied.set(n.output[0], n.input[0]);
  return tied;
}

/** t == sᵀ element for element (s is [r, c]), and s is not one repeated value. */
function isTransposeOf(a: TypedArray, b: TypedArray, s: TensorProto): boolean {
  const r = Number(s.dims[0]), c = Number(s.dims[1]);
  let varied = false;
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) {
      if (a[j * r + i] !== b[i * c + j]) return false;
      if (b[i * c + j] !== b[0]) varied = true;
    }
  }
  return varied;
}

/**
 * Puts the constant operand of Add and Mul second: ORT's broadcasting kernels are much slower when the small operand
 * comes first, and the TorchScript exporter writes every Linear on a 3-D input as `Add(bias, MatMul(...))` (a
 * [16,128,1024] bias add: ~3 ms in the training graph against <1 ms swapped). Both ops commute exactly.
 */
function constantOperandSecond(graph: GraphProto): void {
  const constants = new Set(graph.initializer.map((t) => t.name));
  for (const n of graph.node) if (n.opType === 'Constant') constants.add(n.output[0]);
  for (const n of graph.node) {
    if ((n.opType === 'Add' || n.opType === 'Mul') && n.input.length === 2 && constants.has(n.input[0]) && !constants.has(n.input[1])) {
      n.input = [n.input[1], n.input[0]];
    }
  }
}

/**
 * The value the loss is computed from: a model output (the first unless told otherwise) or, as `modelOutput`, any
 * value of the top-level graph, which then becomes the only output.
 */
function predictionOutput(graph: GraphProto, name?: string): string {
  const out = name ?? graph.output[0]?.name;
  if (out && graph.output.some((o) => o.name === out)) return out;
  if (out && graph.node.some((n) => n.output.includes(out))) {
    graph.output.push(create(ValueInfoProtoSchema, { name: out }));
    return out;
  }
  throw new UserError(`the model has no output or value named '${name}' (outputs: ${graph.output.map((o) => o.name).join(', ')})`);
}

/** Keeps only the nodes the given outputs depend on (post-processing after `modelOutput` is neither probed nor trained). */
function pruneTo(graph: GraphProto, outputs: string[]): void {
  const needed = new Set(outputs);
  const kept: NodeProto[] = [];
  for (let k = graph.node.length - 1; k >= 0; k--) {
    const n = graph.node[k];
    if (!n.output.some((o) => needed.has(o))) continue;
    kept.push(n);
    for (const i of allInputs(n)) if (i) needed.add(i);
  }
  graph.node = kept.reverse();
}

/** Appends the task's loss (standard ONNX ops, differentiated like the rest) and the labels input; returns what it chose. */
export function appendLoss(graph: GraphProto, opset: number, task: Task, prediction: string, labelType: number, labelRank = 1): LossChoice {
  const e = new Emitter(opset, 'loss');
  let loss: string;
  let choice: LossChoice = { kind: task === 'regression' ? 'mse' : 'causal-lm', note: task === 'regression' ? 'mean squared error' : 'shifted next-token cross-entropy' };
  if (task === 'classification') {
    const head = classificationHead(graph, prediction, undefined, labelRank === 2);
    choice = head;
    const z = head.logits;
    if (head.kind === 'binary-cross-entropy') {
      // mean of softplus(z) - z·y = -[y log σ(z) + (1-y) log(1-σ(z))], as F.binary_cross_entropy_with_logits
      graph.input.push(makeValueInfo(LABELS, labelType, labelRank === 2 ? ['batch', '?'] : ['batch']));
      let target: string;
      if (labelRank === 2) target = e.op('Cast', [LABELS], { to: DT.FLOAT });
      else {
        // K logits: one-hot targets; a single logit: the 0/1 label itself is the target.
        const k = e.op('Gather', [e.shape(z), e.i64([-1], [])]);
        const oneHot = e.op('OneHot', [LABELS, k, e.op('Cast', [e.i64([0, 1])], { to: DT.FLOAT })], { axis: -1 });
        const single = e.unsqueeze(e.op('Cast', [LABELS], { to: DT.FLOAT }), [1]);
        target = e.op('Where', [e.op('Equal', [k, e.i64([1], [])]), single, oneHot]);
      }
      target = e.reshape(target, e.shape(z));
      loss = e.op('ReduceMean', [e.sub(e.op('Softplus', [z]), e.mul(z, target))], { keepdims: 0 });
    } else {
      graph.input.push(makeValueInfo(LABELS, DT.INT64, ['batch']));
      // mean over the batch of -log_softmax(logits)[label], as F.cross_entropy
      const logp = e.op('LogSoftmax', [z], { axis: -1 });
      const picked = e.op('GatherElements', [logp, e.unsqueeze(LABELS, [1])], { axis: 1 });
      loss = e.neg(e.mean(picked, [0, 1]));
    }
  } else if (task === 'regression') {
    graph.input.push(makeValueInfo(LABELS, labelType, ['batch', ...Array.from({ length: labelRank - 1 }, () => '?')]));
    const target = e.reshape(e.op('Cast', [LABELS], { to: DT.FLOAT }), e.shape(prediction));
    const diff = e.sub(prediction, target);
    loss = e.op('ReduceMean', [e.mul(diff, diff)], { keepdims: 0 });
  } else {
    // Shifted next-token cross-entropy over the positions the attention mask keeps (HF's labels = input_ids).
    const ids = graph.input.find((i) => i.name === 'input_ids')?.name;
    if (!ids) throw new UserError(`causal-lm needs a model input named 'input_ids'`);
    const maskName = graph.input.find((i) => i.name === 'attention_mask')?.name;
    const big = 2 ** 62;
    const logits = e.op('Slice', [prediction, e.i64([0]), e.i64([-1]), e.i64([1])]);
    const targets = e.op('Slice', [ids, e.i64([1]), e.i64([big]), e.i64([1])]);
    const logp = e.op('LogSoftmax', [logits], { axis: -1 });
    const nll = e.neg(e.squeeze(e.op('GatherElements', [logp, e.unsqueeze(targets, [2])], { axis: 2 }), [2]));
    const mask = maskName
      ? e.op('Cast', [e.op('Slice', [maskName, e.i64([1]), e.i64([big]), e.i64([1])])], { to: DT.FLOAT })
      : e.op('ConstantOfShape', [e.shape(targets)], { value: onesTensor() });
    loss = e.div(e.op('ReduceSum', [e.mul(nll, mask)], { keepdims: 0 }), e.op('ReduceSum', [mask], { keepdims: 0 }));
  }
  graph.node.push(...e.nodes, create(NodeProtoSchema, { opType: 'Identity', name: 'loss/output', input: [loss], output: [LOSS] }));
  graph.initializer.push(...e.initializers);
  graph.output.push(makeValueInfo(LOSS, DT.FLOAT, []));
  return choice;
}

/** The loss appended to the graph, and why (the run log says it). */
export type LossChoice = ClassificationHead | { kind: 'mse' | 'causal-lm'; note: string };

function onesTensor(): TensorProto {
  return makeTensor('', [1], Float32Array.of(1));
}

/**
 * Regression targets broadcast by element count (a scalar per row for [N,1], a flat list for [N,1,1,K]); a row whose
 * count differs from the output's is refused here, not by ONNX Runtime's Reshape.
 */
function checkTargetCount(graph: GraphProto, prediction: string, labels: ort.Tensor | undefined): void {
  const declared = graph.output.find((o) => o.name === prediction);
  const dims = declared ? readValueInfo(declared)?.dims.slice(1) : undefined;
  if (!labels || !dims || dims.some((d) => typeof d !== 'number')) return;
  const want = (dims as number[]).reduce((a, b) => a * b, 1);
  const got = labels.dims.slice(1).reduce((a, b) => a * b, 1);
  if (got !== want) {
    throw new UserError(`regression targets have ${got} value${got === 1 ? '' : 's'} per row but output '${prediction}' [${['batch', ...dims].join(',')}] has ${want}: give ${want} target values per row`);
  }
}

/** Class indices outside the output's classes, said before ONNX Runtime's GatherElements fails on them. */
export function checkLabelRange(labels: ort.Tensor | undefined, classes: number | undefined, prediction: string): void {
  if (!labels || !classes || labels.type !== 'int64') return;
  const data = labels.data as BigInt64Array;
  for (let i = 0; i < data.length; i++) {
    if (data[i] < 0n || data[i] >= BigInt(classes)) {
      throw new UserError(`label ${data[i]} (row ${i + 1} of the batch) is not a class of output '${prediction}', which has ${classes} (0–${classes - 1}; integer labels are output indices); check the label column or modelOutput, or list the labels in data.labels in output order`);
    }
  }
}

/** The probe's raw GatherElements failure on an out-of-range label, as a clear error (classes from the declared output). */
function labelRangeError(e: Error, opts: CompileOptions): Error | undefined {
  if (opts.task !== 'classification' || !/GatherElements/.test(e.message)) return undefined;
  const labels = opts.sample[LABELS];
  const max = labels?.type === 'int64' ? (labels.data as BigInt64Array).reduce((m, v) => (v > m ? v : m), 0n) : undefined;
  return max === undefined ? undefined : new UserError(`label ${max} of the first batch is not a class of the model's output (${e.message.split('\n')[0]}); check the label column or modelOutput`);
}

/**
 * The graph depends on an input's exported batch of 1 (a batch of more rows failed where it was relaxed): the
 * session then runs each batch row by row (see TrainingSession.create).
 */
export class FixedBatchError extends UserError {
  constructor(readonly inputs: string[], readonly reason: string) {
    super(`input ${inputs.join(', ')} was exported with a fixed batch of 1 and the graph depends on it (${reason}): set "batchSize": 1 and "gradientAccumulation" to the batch you want`);
  }
}

/** The load note of relaxFixedBatch (taken back when the graph turns out to depend on the batch of 1). */
export function relaxedNote(relaxed: string[]): string {
  return `${relaxed.map((n) => `'${n}'`).join(', ')} had a fixed batch of 1: relaxed to any batch size`;
}

/** Inputs whose declared batch was relaxed from 1 (see relaxFixedBatch) and are fed more than one row. */
function fixedBatchInputs(graph: GraphProto, sample: Feeds): string[] {
  return graph.input.filter((i) => i.docString === RELAXED_BATCH && (sample[i.name]?.dims[0] ?? 1) > 1).map((i) => `'${i.name}'`);
}

/** The nodes where a gradient stops (gradientStops), for messages: `Round node 'r', Cast node 'c' (int64 output)`. */
function describeStops(stops: NodeProto[], info: Map<string, ValueInfo>): string {
  const named = stops.slice(0, 3).map((n) => {
    const out = info.get(n.output[0])?.dtype;
    const type = out !== undefined && !isFloatType(out) ? ` (${(DT[out] ?? String(out)).toLowerCase()} output)` : '';
    return `${n.opType} node '${n.name || n.output[0]}'${type}`;
  });
  return `${named.join(', ')}${stops.length > 3 ? ` and ${stops.length - 3} more` : ''}`;
}

/** Why nothing would train: said before step 1 rather than running a no-op to "completed". */
function noParameterReason(graph: GraphProto, prediction: string, asked: number, stops: NodeProto[], info: Map<string, ValueInfo>): string {
  if (stops.length) {
    return `the loss does not depend on any trainable parameter through differentiable ops: gradient stops at ${describeStops(stops, info)}`
      + ` (no gradient flows back through ${stops.length > 1 ? 'them' : 'it'}); set "modelOutput" to a value before it`;
  }
  const producers = producersOf(graph.node);
  // The nearest control-flow node upstream of the prediction (breadth first).
  let node: NodeProto | undefined;
  const queue = [prediction], seen = new Set(queue);
  while (queue.length && !node) {
    const p = producers.get(queue.shift()!);
    if (!p) continue;
    if (subgraphsOf(p).length) node = p;
    for (const i of p.input) if (i && !seen.has(i)) { seen.add(i); queue.push(i); }
  }
  const from = node ? `: output '${prediction}' comes from ${node.opType} node '${node.name || node.output[0]}', whose subgraphs are not differentiated; set "modelOutput" to a value before it` : '';
  const what = asked ? `none of the ${asked} parameters asked to train reaches output '${prediction}'` : 'the model has no trainable parameters (no float initializers)';
  return `the loss does not depend on any trainable parameter (${what})${from}`;
}

export interface TrainingModels {
  /** Inputs: data inputs (+ labels) and trainable parameters; outputs: loss, prediction, one gradient per param. */
  train: ModelProto;
  /** Forward and loss only, with the same inputs. */
  eval: ModelProto;
  /** Trainable parameters that affect the loss, in the order of the gradient outputs. */
  params: string[];
  /** Each param's gradient output: the dense gradient, or (embeddings) the rows their Gather read and where. */
  gradOutputs: GradOutput[];
  /** Parameters asked to train that have no path to the loss (they are left frozen). */
  noGradient: string[];
  /** Where their gradient stops on its way, when a path reaches the loss through ops with no gradient. */
  noGradientReason?: string;
  prediction: string;
  info: Map<string, ValueInfo>;
  /** The loss appended, and why it was chosen. */
  loss: LossChoice;
  /** Data-dependent If nodes trained through the branch each example takes (see ifToWhere). */
  viaWhere: string[];
  /** Class count of a cross-entropy head (the prediction's last dim), for label range checks. */
  classes?: number;
  /** Seconds spent running the shape probe, and building the graphs around it. */
  seconds: { probe: number; graph: number };
}

/** A gradient output: dense, or the rows an embedding Gather read (in order) and their row indices (int64). */
export type GradOutput = string | { indices: string; rows: string };

/**
 * The indices and rows of `grad`, when it is a ScatterND-add of rows into zeros shaped like `param` (the Gather
 * rule's embedding gradient, one use). A vocabulary's dense gradient is mostly zeros that ONNX Runtime writes and
 * onnxruntime-node then copies out again; the rows are batch × sequence × hidden, and the session adds them up.
 */
function scatteredRows(producers: Map<string, NodeProto>, grad: string, param: string): { indices: string; rows: string } | undefined {
  // The Gather rule's axis-0 scatter (GatherND's scatters index elements, not rows).
  const scatter = producers.get(grad);
  if (scatter?.opType !== 'ScatterND' || gradientOrigin(scatter) !== 'Gather' || attrString(scatter, 'reduction', 'none') !== 'add') return undefined;
  const zeros = producers.get(scatter.input[0]);
  const shape = zeros?.opType === 'ConstantOfShape' ? producers.get(zeros.input[0]) : undefined;
  const value = zeros?.attribute.find((a) => a.name === 'value')?.t;
  if (shape?.opType !== 'Shape' || shape.input[0] !== param || shape.attribute.length || !value || !(tensorValues(value) as Float32Array).every((v) => v === 0)) return undefined;
  return { indices: scatter.input[1], rows: scatter.input[2] };
}

export interface CompileOptions {
  task: Task;
  /** Initializer names to train; all other parameters stay constants of the graph. */
  trainable: string[];
  /** A sample batch (inputs and labels): one forward run of it gives every value's type and shape. */
  sample: Feeds;
  /** Model output the loss reads (default: the first). */
  prediction?: string;
}

/** Compiles a prepared model (see prepareModel) into a training graph and an eval graph. */
export async function compileTraining(prepared: ModelProto, opts: CompileOptions): Promise<TrainingModels> {
  const start = performance.now();
  const opset = defaultOpset(prepared);
  const base = cloneSharingInitializers(prepared);
  const graph = base.graph!;
  const prediction = predictionOutput(graph, opts.prediction);
  graph.output = graph.output.filter((o) => o.name === prediction);
  pruneTo(graph, [prediction]);
  const viaWhere = ifToWhere(graph);
  const labelType = opts.sample[LABELS] ? ORT_TYPES[opts.sample[LABELS].type] : DT.INT64;
  const labelRank = opts.sample[LABELS]?.dims.length ?? 1;
  const loss = appendLoss(graph, opset, opts.task, prediction, labelType, labelRank);
  if (opts.task === 'causal-lm') graph.input = graph.input.filter((i) => i.name !== LABELS);
  if (opts.task === 'regression') checkTargetCount(graph, prediction, opts.sample[LABELS]);
  const probeStart = performance.now();
  const info = await probeShapes(graph, base, opts.sample).catch((e: Error) => {
    const fixed = fixedBatchInputs(prepared.graph!, opts.sample);
    if (!fixed.length) throw labelRangeError(e, opts) ?? e;
    throw new FixedBatchError(fixed, e.message.split('\n')[0]);
  });

  const probe = (performance.now() - probeStart) / 1e3;

  // Trainable initializers become graph inputs, so new values can be fed at every step.
  const wanted = new Set(opts.trainable);
  const reachable = valuesRequiringGrad(graph, wanted, info);
  const moved = graph.initializer.filter((t) => wanted.has(t.name));
  graph.initializer = graph.initializer.filter((t) => !wanted.has(t.name));
  for (const t of moved) graph.input.push(makeValueInfo(t.name, t.dataType, t.dims.map(Number)));

  const backward = buildBackward(graph, { loss: LOSS, wrt: opts.trainable, info, opset });
  const params = opts.trainable.filter((p) => backward.grads.has(p) && reachable.has(p));
  const noGradient = opts.trainable.filter((p) => !params.includes(p));
  const noGradientStops = noGradient.length ? gradientStops(graph, new Set(noGradient), info, LOSS) : [];
  if (params.length === 0) {
    const stops = gradientStops(graph, wanted, info, LOSS);
    throw new UserError(noParameterReason(prepared.graph!, prediction, opts.trainable.length, stops, info));
  }

  const evalModel = cloneSharingInitializers(base);
  evalModel.graph!.output = [makeValueInfo(LOSS, DT.FLOAT, []), graph.output.find((o) => o.name === prediction)!];
  // A parameter with no gradient must not be left as a dangling input: put its initializer back.
  const restore = (g: GraphProto) => {
    g.input = g.input.filter((i) => !noGradient.includes(i.name));
    g.initializer.push(...moved.filter((t) => noGradient.includes(t.name)));
  };
  restore(evalModel.graph!);

  const trainModel = cloneSharingInitializers(evalModel);
  const tg = trainModel.graph!;
  tg.node = withSavedOutputs(tg.node, backward.savedOutputs);
  if (backward.nodes.some((n) => n.domain === MS_DOMAIN) && !trainModel.opsetImport.some((o) => o.domain === MS_DOMAIN)) {
    trainModel.opsetImport.push(create(OperatorSetIdProtoSchema, { domain: MS_DOMAIN, version: 1n }));
  }
  tg.node.push(...backward.nodes);
  tg.initializer.push(...backward.initializers);
  // Gradients can share a value (Add passes g to both inputs): give each its own named output.
  const output = (value: string, name: string, dtype: number, dims?: (number | string)[]) => {
    tg.node.push(create(NodeProtoSchema, { opType: 'Identity', name: `${name}/output`, input: [value], output: [name] }));
    tg.output.push(makeValueInfo(name, dtype, dims));
    return name;
  };
  const producers = producersOf(tg.node);
  const gradOutputs = params.map((p): GradOutput => {
    const pInfo = info.get(p)!, g = backward.grads.get(p)!;
    const rows = pInfo.dtype === DT.FLOAT ? scatteredRows(producers, g, p) : undefined;
    if (!rows) return output(g, `grad.${p}`, pInfo.dtype, pInfo.shape);
    return { indices: output(rows.indices, `grad.${p}.indices`, DT.INT64), rows: output(rows.rows, `grad.${p}.rows`, DT.FLOAT) };
  });
  // The scatters whose rows are output instead, with the zeros they filled, are no longer needed.
  if (gradOutputs.some((o) => typeof o !== 'string')) pruneTo(tg, tg.output.map((o) => o.name));
  const classes = loss.kind === 'cross-entropy' ? info.get(loss.logits)?.shape.at(-1) : undefined;
  const noGradientReason = noGradientStops.length ? `gradient stops at ${describeStops(noGradientStops, info)}` : undefined;
  const seconds = { probe, graph: (performance.now() - start) / 1e3 - probe };
  return { train: trainModel, eval: evalModel, params, gradOutputs, noGradient, noGradientReason, prediction, info, loss, classes, viaWhere, seconds };
}
