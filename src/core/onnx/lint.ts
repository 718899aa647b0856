import type { ModelProto } from 'onnx-buf';

/**
 * Export habits that make a fine-tune diverge from the same fine-tune in PyTorch, found by looking at the graph.
 * Each message says what to do instead.
 */
export function exportWarnings(model: ModelProto): string[] {
  const graph = model.graph!;
  const warnings: string[] = [];
  const ops = new Set(graph.node.map((n) => n.opType));
  const foldedConv = graph.node.some((n) => n.opType === 'Conv' && n.input.slice(1).some((i) => /^onnx::Conv_\d+$/.test(i)));
  if (foldedConv && !ops.has('BatchNormalization')) {
    warnings.push('BatchNormalization looks folded into Conv weights (onnx::Conv_N initializers, no BatchNormalization node): '
      + 'the fine-tune trains the merged weights, not PyTorch\'s. Export with torch.onnx.export(..., training=torch.onnx.TrainingMode.PRESERVE) after model.eval().');
  }
  if (ops.has('Dropout') && graph.node.some((n) => n.opType === 'Dropout' && n.input[2])) {
    warnings.push('the model has Dropout nodes with a training_mode input: they run in inference mode (no dropout) while fine-tuning.');
  }
  return warnings;
}
