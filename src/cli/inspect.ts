import type { GraphProto, ModelProto } from 'onnx-buf';
import { allInputs, subgraphsOf } from '../core/onnx/walk.js';
import { staticUnsupportedOps } from '../core/autodiff/backward.js';
import { moduleTree, parameterInfos, type ModuleNode } from '../core/module-tree.js';
import { exportWarnings } from '../core/onnx/lint.js';
import { validateGraph } from '../core/onnx/graph-check.js';
import { loadModel } from '../core/onnx/model.js';
import { modelInputs } from '../core/experiment/run.js';
import { prepareModel } from '../core/training-graph.js';
import { loraParameterCount } from '../core/lora/merge.js';
import { loraTargets } from '../core/lora/targets.js';
import { readValueInfo } from '../core/onnx/value-info.js';
import { classifyInitializers, type ConstantInfo } from '../core/parameter-roles.js';

export interface Inspection {
  model: string;
  opset: number;
  inputs: ReturnType<typeof modelInputs>;
  outputs: string[];
  /** Output shapes as declared (symbolic dims as names); the last dim of a classifier's logits is its class count. */
  outputDims: (number | string)[][];
  /** Class names stored in the model's metadata (`labels`, as our own export writes them). */
  labels?: string[];
  totalParams: number;
  tree: ModuleNode;
  unsupportedOps: { opType: string; name: string }[];
  warnings: string[];
  /** Float initializers classed as constants, not parameters (thresholds, epsilons, running statistics…), and why. */
  constants: ConstantInfo[];
  /** Values `modelOutput` can name: the outputs, and values read by control flow (If/Loop/Scan) before post-processing. */
  modelOutputs: string[];
  /** What loading changed to read another producer's form (constant If folded, Constant nodes read as weights). */
  normalized: string[];
  /** With `lora` asked: the weights a LoRA `target` adapts and the parameters its adapters train. */
  lora?: { target: string[]; r: number; weights: { module: string; weight: string; in: number; out: number }[]; params: number };
}

export function inspectModel(file: string, opts: { lora?: { target: string[]; r: number } } = {}): Inspection {
  const normalized: string[] = [];
  const loaded = loadModel(file);
  validateGraph(loaded, file);
  const model = prepareModel(loaded, file, normalized);
  const params = parameterInfos(model.graph!);
  return {
    model: file,
    opset: Number(model.opsetImport.find((o) => o.domain === '')?.version ?? 0),
    inputs: modelInputs(model),
    outputs: model.graph!.output.map((o) => o.name),
    outputDims: model.graph!.output.map((o) => readValueInfo(o)?.dims ?? []),
    labels: metadataLabels(model),
    totalParams: params.reduce((n, p) => n + p.size, 0),
    tree: moduleTree(params),
    unsupportedOps: staticUnsupportedOps(model.graph!, params.map((p) => p.name)),
    warnings: exportWarnings(model),
    constants: classifyInitializers(model.graph!).constants,
    modelOutputs: modelOutputChoices(model.graph!),
    normalized,
    lora: opts.lora && loraInspection(model, opts.lora.target, opts.lora.r),
  };
}

function loraInspection(model: ModelProto, target: string[], r: number): Inspection['lora'] {
  const targets = loraTargets(model.graph!, target);
  return { target, r, weights: targets.map((t) => ({ module: t.module, weight: t.weight, in: t.in, out: t.out })), params: loraParameterCount({ targets, r }) };
}

function modelOutputChoices(graph: GraphProto): string[] {
  const produced = new Set(graph.node.flatMap((n) => n.output));
  const choices = new Set(graph.output.map((o) => o.name));
  for (const n of graph.node) {
    if (subgraphsOf(n).length) for (const v of allInputs(n).slice(n.opType === 'If' ? 1 : 0)) if (produced.has(v)) choices.add(v);
  }
  return [...choices];
}

function metadataLabels(model: ModelProto): string[] | undefined {
  const raw = model.metadataProps.find((p) => p.key === 'labels')?.value;
  try {
    const labels: unknown = raw ? JSON.parse(raw) : undefined;
    return Array.isArray(labels) && labels.every((l) => typeof l === 'string') ? labels : undefined;
  } catch {
    return undefined;
  }
}

function printTree(node: ModuleNode, indent: string, lines: string[]): void {
  for (const child of node.children) {
    lines.push(`${indent}${child.name}  ${child.paramCount.toLocaleString('en-US')}`);
    for (const p of child.params) lines.push(`${indent}  · ${p.path.slice(p.module.length + 1)} [${p.dims.join('×')}]${p.name !== p.path ? `  (${p.name})` : ''}`);
    printTree(child, indent + '  ', lines);
  }
}

export function formatInspection(r: Inspection): string {
  const lines = [
    `${r.model}  (opset ${r.opset})`,
    `inputs: ${r.inputs.map((i) => `${i.name} ${i.type}[${i.dims.join(',')}]`).join(', ')}`,
    `outputs: ${r.outputs.join(', ')}`,
    ...(r.modelOutputs.length > r.outputs.length ? [`modelOutput choices: ${r.modelOutputs.join(', ')}`] : []),
    `parameters: ${r.totalParams.toLocaleString('en-US')}`,
    '',
  ];
  for (const p of r.tree.params) lines.push(`· ${p.path} [${p.dims.join('×')}]`);
  printTree(r.tree, '', lines);
  lines.push('', r.unsupportedOps.length
    ? `unsupported ops on the training path:\n${r.unsupportedOps.map((o) => `  ${o.opType}: ${o.name}`).join('\n')}`
    : 'every op on the training path has a gradient rule');
  if (r.constants.length) {
    lines.push(`constants (not trained): ${r.constants.length}`);
    for (const c of r.constants.slice(0, 20)) lines.push(`  ${c.name} [${c.dims.join('×')}]: ${c.reason}`);
    if (r.constants.length > 20) lines.push(`  … ${r.constants.length - 20} more`);
  }
  for (const n of r.normalized) lines.push(`note: ${n}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  if (r.lora) {
    lines.push('', `LoRA r=${r.lora.r} on ${JSON.stringify(r.lora.target)}: ${r.lora.weights.length} weights, ${r.lora.params.toLocaleString('en-US')} trained parameters (${(100 * r.lora.params / r.totalParams).toFixed(2)}% of the model)`);
    for (const w of r.lora.weights) lines.push(`  ${w.module}  [in ${w.in} → out ${w.out}]${w.weight !== `${w.module}.weight` ? `  (${w.weight})` : ''}`);
  }
  return lines.join('\n');
}
