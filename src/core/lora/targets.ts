import type { GraphProto } from 'onnx-buf';
import { matchesAny, parameterInfos } from '../module-tree.js';
import { attrInt } from '../onnx/attributes.js';
import { UserError } from '../onnx/errors.js';
import type { LoraTarget } from './types.js';

/**
 * The weights `globs` match that LoRA can adapt: rank-2 float initializers read as the weight (second input) of
 * MatMul or Gemm. A glob that matches no such weight is an error naming it, so a typo never trains nothing.
 */
export function loraTargets(graph: GraphProto, globs: string[]): LoraTarget[] {
  const users = new Map<string, { op: string; transB: number; slot: number }[]>();
  for (const n of graph.node) {
    n.input.forEach((i, slot) => users.set(i, [...(users.get(i) ?? []), { op: n.opType, transB: n.opType === 'Gemm' ? attrInt(n, 'transB', 0) : 0, slot }]));
  }
  const targets: LoraTarget[] = [];
  const used = new Set<string>();
  for (const p of parameterInfos(graph)) {
    const hit = globs.filter((g) => matchesAny(p, [g]));
    if (hit.length === 0 || p.dims.length !== 2) continue;
    const uses = users.get(p.name) ?? [];
    if (uses.length === 0 || !uses.every((u) => (u.op === 'MatMul' || u.op === 'Gemm') && u.slot === 1)) continue;
    const layouts = new Set(uses.map((u) => (u.transB ? 'out-in' : 'in-out')));
    if (layouts.size > 1) throw new UserError(`lora.target: weight '${p.name}' is read both transposed and not: not supported`);
    const layout = [...layouts][0] as LoraTarget['layout'];
    const [inDim, outDim] = layout === 'in-out' ? p.dims : [p.dims[1], p.dims[0]];
    if (targets.some((t) => t.module === p.module)) throw new UserError(`lora.target: module '${p.module}' has two weights; name one of them`);
    hit.forEach((g) => used.add(g));
    targets.push({ weight: p.name, module: p.module, layout, in: inDim, out: outDim, a: `${p.module}.lora_A.weight`, b: `${p.module}.lora_B.weight` });
  }
  const unused = globs.filter((g) => !used.has(g));
  if (unused.length) throw new UserError(`lora.target ${unused.map((g) => `'${g}'`).join(', ')} matches no MatMul/Gemm weight of the model (see finetune inspect)`);
  return targets;
}
