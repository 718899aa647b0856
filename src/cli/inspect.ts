import type { ModelProto } from 'onnx-buf';
import { staticUnsupportedOps } from '../core/autodiff/backward.js';
import { moduleTree, parameterInfos, type ModuleNode } from '../core/module-tree.js';
import { exportWarnings } from '../core/onnx/lint.js';
import { loadModel } from '../core/onnx/model.js';
import { modelInputs } from '../core/experiment/run.js';
import { prepareModel } from '../core/training-graph.js';
import { readValueInfo } from '../core/onnx/value-info.js';

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
}

export function inspectModel(file: string): Inspection {
  const model = prepareModel(loadModel(file), file);
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
  };
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
    `parameters: ${r.totalParams.toLocaleString('en-US')}`,
    '',
  ];
  for (const p of r.tree.params) lines.push(`· ${p.path} [${p.dims.join('×')}]`);
  printTree(r.tree, '', lines);
  lines.push('', r.unsupportedOps.length
    ? `unsupported ops on the training path:\n${r.unsupportedOps.map((o) => `  ${o.opType}: ${o.name}`).join('\n')}`
    : 'every op on the training path has a gradient rule');
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}
