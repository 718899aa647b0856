import type { GraphProto, NodeProto } from 'onnx-buf';
import { attrInt } from './onnx/attributes.js';
import { readValueInfo } from './onnx/value-info.js';

/**
 * What a classifier's output really is, so the loss reads logits: cross-entropy on a final Softmax's probabilities
 * would sit near ln C and train nothing useful, and cross-entropy on one column gathers out of range.
 */
export type ClassificationHead =
  /** Cross-entropy on logits (a final Softmax / LogSoftmax is looked through). */
  | { kind: 'cross-entropy'; logits: string; note: string }
  /** Binary cross-entropy with logits: one logit (or one Sigmoid) per class, one-hot / multi-hot targets. */
  | { kind: 'binary-cross-entropy'; logits: string; note: string; threshold: number };

/** The node producing `value`, looking through Identity nodes. */
function producerOf(graph: GraphProto, value: string): NodeProto | undefined {
  const producers = new Map<string, NodeProto>();
  for (const n of graph.node) for (const o of n.output) producers.set(o, n);
  let node = producers.get(value);
  while (node?.opType === 'Identity') node = producers.get(node.input[0]);
  return node;
}

/** Rank and last dim of a value from the graph's declared outputs / value_info (undefined when not declared). */
function declaredDims(graph: GraphProto, value: string): (number | string)[] | undefined {
  const v = [...graph.output, ...graph.valueInfo].find((x) => x.name === value);
  return v ? readValueInfo(v)?.dims : undefined;
}

/**
 * Chooses the classification loss for `prediction`. `lastDim` is the class count when known (probe or declaration);
 * `multiHot` says the labels are [batch, K] lists rather than class indices.
 */
export function classificationHead(graph: GraphProto, prediction: string, lastDim: number | undefined, multiHot: boolean): ClassificationHead {
  const dims = declaredDims(graph, prediction);
  const rank = dims?.length;
  const classes = lastDim ?? (typeof dims?.at(-1) === 'number' ? (dims!.at(-1) as number) : undefined);
  const node = producerOf(graph, prediction);
  const lastAxis = (n: NodeProto) => {
    const axis = attrInt(n, 'axis', -1);
    return axis === -1 || (rank !== undefined && axis === rank - 1);
  };
  if (node?.opType === 'Sigmoid') {
    const what = classes === 1 ? 'a single Sigmoid' : `${classes ?? 'K'} Sigmoids`;
    return {
      kind: 'binary-cross-entropy', logits: node.input[0], threshold: 0.5,
      note: `output '${prediction}' is ${what} (node '${node.name}'): binary cross-entropy with logits on its input '${node.input[0]}'${multiHot ? ' (multi-label)' : ''}`,
    };
  }
  if ((node?.opType === 'Softmax' || node?.opType === 'LogSoftmax') && lastAxis(node)) {
    const what = node.opType === 'Softmax' ? 'probabilities' : 'log-probabilities';
    return { kind: 'cross-entropy', logits: node.input[0], note: `output '${prediction}' holds ${what} (${node.opType} node '${node.name}'): cross-entropy on its input logits '${node.input[0]}'` };
  }
  if (classes === 1 || multiHot) {
    return { kind: 'binary-cross-entropy', logits: prediction, threshold: 0, note: `output '${prediction}' has ${multiHot ? 'one logit per label' : 'a single logit'}: binary cross-entropy with logits` };
  }
  return { kind: 'cross-entropy', logits: prediction, note: `output '${prediction}' holds logits: cross-entropy` };
}
