import type { GraphProto, ModelProto, TensorProto } from 'onnx-buf';
import { UserError } from './errors.js';
import { elementSize, numel } from './tensor.js';

/** Operators of the default ONNX domain (opsets 1–25, some deprecated), to tell a damaged op type from one we lack. */
const ONNX_OPS = new Set(`Abs Acos Acosh Add AffineGrid And ArgMax ArgMin Asin Asinh Atan Atanh AveragePool BatchNormalization
Bernoulli BitShift BitwiseAnd BitwiseNot BitwiseOr BitwiseXor BlackmanWindow Cast CastLike Ceil Celu CenterCropPad Clip Col2Im
Compress Concat ConcatFromSequence Constant ConstantOfShape Conv ConvInteger ConvTranspose Cos Cosh CumSum DFT DeformConv
DepthToSpace DequantizeLinear Det Div Dropout DynamicQuantizeLinear Einsum Elu Equal Erf Exp Expand EyeLike Flatten Floor GRU
Gather GatherElements GatherND Gelu Gemm GlobalAveragePool GlobalLpPool GlobalMaxPool Greater GreaterOrEqual GridSample
GroupNormalization HammingWindow HannWindow HardSigmoid HardSwish Hardmax Identity If ImageDecoder InstanceNormalization IsInf
IsNaN LRN LSTM LayerNormalization LeakyRelu Less LessOrEqual Log LogSoftmax Loop LpNormalization LpPool MatMul MatMulInteger
Max MaxPool MaxRoiPool MaxUnpool Mean MeanVarianceNormalization MelWeightMatrix Min Mish Mod Mul Multinomial Neg
NegativeLogLikelihoodLoss NonMaxSuppression NonZero Not OneHot Optional OptionalGetElement OptionalHasElement Or PRelu Pad Pow
QLinearConv QLinearMatMul QuantizeLinear RNN RandomNormal RandomNormalLike RandomUniform RandomUniformLike Range Reciprocal
ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd ReduceSum ReduceSumSquare RegexFullMatch
Relu Reshape Resize ReverseSequence RoiAlign Round STFT Scan Scatter ScatterElements ScatterND Selu SequenceAt SequenceConstruct
SequenceEmpty SequenceErase SequenceInsert SequenceLength SequenceMap Shape Shrink Sigmoid Sign Sin Sinh Size Slice Softmax
SoftmaxCrossEntropyLoss Softplus Softsign SpaceToDepth Split SplitToSequence Sqrt Squeeze StringConcat StringNormalizer
StringSplit Sub Sum Tan Tanh TfIdfVectorizer ThresholdedRelu Tile TopK Transpose Trilu Unique Unsqueeze Upsample Where Xor
Crop ImageScaler ScaledTanh ParametricSoftplus Affine GivenTensorFill ConstantFill DynamicSlice GRUUnit Scale
Attention RMSNormalization RotaryEmbedding Swish TensorScatter BitCast CumProd`.split(/\s+/));

/**
 * Checks what ONNX Runtime would otherwise reject with an unnamed error, or what a damaged file can still parse
 * into: every node input is produced before it is used (a graph input, an initializer, an earlier node's output,
 * or a value of an enclosing graph), op types of the default domain are real ONNX operators, and initializers
 * hold as many bytes as their dims say. Throws one error naming the file, the node and every problem found.
 */
export function validateGraph(model: ModelProto, file: string): void {
  const problems: string[] = [];
  checkGraph(model.graph!, new Set(), problems, file);
  if (problems.length === 0) return;
  const shown = problems.slice(0, 10).map((p) => `\n  - ${p}`).join('');
  throw new UserError(`${file}: invalid model graph${problems.length > 10 ? ` (${problems.length} problems, first 10)` : ''}:${shown}`);
}

/** Dims of the initializers a node reads, by input position, checked against what the op needs of them. */
const USES: Record<string, (dims: (number[] | undefined)[]) => string | undefined> = {
  Conv: ([, w, b]) => (w && w.length < 3 ? `weight has rank ${w.length}, Conv needs at least 3`
    : w && b && (b.length !== 1 || b[0] !== w[0]) ? `bias has dims [${b}], the weight has ${w[0]} output channels` : undefined),
  Gemm: ([, b]) => (b && b.length !== 2 ? `B has rank ${b.length}, Gemm needs 2` : undefined),
  BatchNormalization: ([, ...params]) => {
    const lens = params.filter((d): d is number[] => !!d).map((d) => d.join('×'));
    return new Set(lens).size > 1 ? `scale, bias, mean and var have different dims (${lens.join(', ')})` : undefined;
  },
  LayerNormalization: ([, scale, bias]) => (scale && bias && scale.join() !== bias.join() ? `scale [${scale}] and bias [${bias}] differ` : undefined),
};

function checkGraph(graph: GraphProto, outer: Set<string>, problems: string[], file: string): void {
  const known = new Set(outer);
  const initDims = new Map(graph.initializer.map((t) => [t.name, t.dims.map(Number)]));
  for (const i of graph.input) known.add(i.name);
  for (const t of graph.initializer) {
    known.add(t.name);
    const bad = initializerProblem(t);
    if (bad) problems.push(`initializer '${t.name}' ${bad}`);
  }
  for (const [k, node] of graph.node.entries()) {
    const label = `node '${node.name || node.output[0] || `#${k}`}' (${node.opType})`;
    if ((node.domain === '' || node.domain === 'ai.onnx') && !ONNX_OPS.has(node.opType)) {
      problems.push(`${label}: '${node.opType}' is not an ONNX operator (a damaged file?)`);
    }
    for (const input of node.input) {
      if (input !== '' && !known.has(input)) problems.push(`${label}: input '${input}' is not a graph input, initializer, or output of an earlier node`);
    }
    const shapeProblem = USES[node.opType]?.(node.input.map((i) => initDims.get(i)));
    if (shapeProblem) problems.push(`${label}: ${shapeProblem}`);
    for (const attr of node.attribute) {
      for (const sub of [...(attr.g ? [attr.g] : []), ...attr.graphs]) checkGraph(sub, known, problems, file);
    }
    for (const o of node.output) if (o !== '') known.add(o);
  }
  for (const o of graph.output) if (!known.has(o.name)) problems.push(`graph output '${o.name}' is never computed`);
}

function initializerProblem(t: TensorProto): string | undefined {
  if (t.dims.some((d) => Number(d) < 0)) return `has a negative dim [${t.dims.join(',')}]`;
  if (t.rawData.length === 0) return undefined; // typed fields or external data: checked where they are read
  let size: number;
  try {
    size = elementSize(t.dataType);
  } catch {
    return undefined;
  }
  const want = numel(t.dims) * size;
  return t.rawData.length === want ? undefined : `holds ${t.rawData.length} bytes, but dims [${t.dims.join(',')}] need ${want}`;
}
