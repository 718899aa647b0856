import type { GraphProto, TensorProto } from 'onnx-buf';
import { isFloatType, numel, tensorValues } from './onnx/tensor.js';
import { walkNodes } from './onnx/walk.js';

/** Input slots that hold what the source framework trained (weights, biases, scales, embedding tables, slopes). */
const WEIGHT_SLOTS: Record<string, number[]> = {
  Conv: [1, 2], ConvTranspose: [1, 2], Gemm: [0, 1, 2], MatMul: [0, 1], Gather: [0],
  BatchNormalization: [1, 2], InstanceNormalization: [1, 2], LayerNormalization: [1, 2], GroupNormalization: [1, 2],
  PRelu: [1], LSTM: [1, 2, 3], GRU: [1, 2, 3], RNN: [1, 2, 3],
};
/** Ops through which a whole float tensor of several values is a learned table or bias (positional embeddings, cls tokens, decomposed LayerNorm). */
const TENSOR_OPS = new Set(['Add', 'Sub', 'Mul', 'Div', 'Concat', 'Slice', 'Expand', 'Reshape', 'Transpose', 'Unsqueeze', 'Squeeze', 'Identity', 'Where']);
/** Ops whose output a single-value bias may be added to (a Linear / Conv with one output). */
const LINEAR_OPS = new Set(['MatMul', 'Gemm', 'Conv', 'ConvTranspose']);

export interface ConstantInfo { name: string; dims: number[]; reason: string }

/**
 * Splits float initializers into parameters and constants by where they are read: thresholds (Max, Clip), epsilons,
 * exponents (Pow), running statistics, scales of Resize and single values added or multiplied in stay constants.
 * Consumers inside If/Loop/Scan subgraphs count as well.
 */
export function classifyInitializers(graph: GraphProto): { params: TensorProto[]; constants: ConstantInfo[] } {
  const consumers = new Map<string, { op: string; slot: number; others: string[] }[]>();
  const producer = new Map<string, string>();
  for (const { node } of walkNodes(graph)) {
    node.input.forEach((i, slot) => consumers.set(i, [...(consumers.get(i) ?? []), { op: node.opType, slot, others: node.input.filter((_, k) => k !== slot) }]));
    for (const o of node.output) producer.set(o, node.opType);
  }
  const params: TensorProto[] = [];
  const constants: ConstantInfo[] = [];
  for (const t of graph.initializer) {
    if (!isFloatType(t.dataType) || t.dims.length === 0) continue;
    const dims = t.dims.map(Number);
    const size = numel(dims);
    const uses = consumers.get(t.name) ?? [];
    const isParam = uses.some((u) => WEIGHT_SLOTS[u.op]?.includes(u.slot) && !(u.op === 'MatMul' && size === 1)
      || (TENSOR_OPS.has(u.op) && size > 1)
      || ((u.op === 'Add' || u.op === 'Sub') && u.others.some((o) => LINEAR_OPS.has(producer.get(o) ?? ''))));
    if (isParam && !groupNormIdentity(t, uses, producer)) params.push(t);
    else if (uses.length) {
      const u = uses[0];
      const reason = isParam ? `GroupNorm's fixed ${u.slot === 1 ? 'unit scale' : 'zero bias'} (its affine follows the Reshape back)` : u.op === 'BatchNormalization' && u.slot >= 3 ? 'running statistic' : `${size === 1 ? 'a single value' : 'a tensor'} read by ${u.op} (input ${u.slot})`;
      constants.push({ name: t.name, dims, reason });
    }
  }
  return { params, constants };
}

/**
 * PyTorch exports GroupNorm as Reshape [N, G, -1] → InstanceNormalization with a scale of ones and a bias of zeros →
 * Reshape back → Mul/Add by the module's weight and bias: the ones and zeros are not trained (training them would
 * add parameters PyTorch does not have).
 */
function groupNormIdentity(t: TensorProto, uses: { op: string; slot: number; others: string[] }[], producer: Map<string, string>): boolean {
  if (!uses.length || !uses.every((u) => u.op === 'InstanceNormalization' && u.slot > 0 && producer.get(u.others[0]) === 'Reshape')) return false;
  const identity = uses[0].slot === 1 ? 1 : 0;
  return uses.every((u) => u.slot === uses[0].slot) && Array.from(tensorValues(t), Number).every((v) => v === identity);
}
