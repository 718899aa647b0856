// The fine-tuned model in the form it was given: training reads a normalized graph (opset-upgraded, Constant
// weights as initializers, constant Ifs folded, untied copies), but the export is the original file's graph with
// the trained values written back where each came from.
import type { GraphProto, ModelProto, TensorProto } from 'onnx-buf';
import { makeAttributes } from './onnx/attributes.js';
import { cloneSharingInitializers } from './onnx/model.js';
import { constantValue } from './onnx/normalize.js';
import { DT, makeTensor } from './onnx/tensor.js';
import { subgraphsOf } from './onnx/walk.js';
import { tiedCopies } from './training-graph.js';

export interface OriginalForm {
  model: ModelProto;
  /** Trained values with no place in the original graph (then the normalized graph must be exported instead). */
  unplaced: string[];
}

/**
 * `original` with `values` (trained parameter name → value, as the prepared graph names them) written back: into a
 * top-level or subgraph initializer of that name, into the Constant node (anywhere) that outputs it, or, for a copy
 * prepareModel untied from `Identity(shared)`, into a new initializer that Identity reads. A copy retied as
 * `Transpose(source)` (GPT-2's lm_head) gets the transposed trained source. Nothing else of the original changes:
 * opset, nodes, outputs, control flow and metadata stay as they were.
 */
export function originalWithValues(original: ModelProto, prepared: GraphProto, values: Map<string, Float32Array>): OriginalForm {
  // Initializers are replaced, never changed in place: the original's bytes need no copy.
  const m = cloneSharingInitializers(original);
  const top = m.graph!;
  const placed = new Set<string>();
  const taken = new Set<string>();
  /** `value` in the type and shape of the tensor it replaces (float32 or float64; others cannot be written back). */
  const written = (old: TensorProto | undefined, name: string, value: Float32Array): TensorProto | undefined => {
    const dims = old?.dims.map(Number);
    if (!dims || dims.reduce((a, b) => a * b, 1) !== value.length) return undefined;
    if (old!.dataType === DT.FLOAT) return makeTensor(name, dims, value);
    if (old!.dataType === DT.DOUBLE) return makeTensor(name, dims, Float64Array.from(value));
    return undefined;
  };
  const place = (name: string, old: TensorProto | undefined, as: string, set: (t: TensorProto) => void) => {
    const value = values.get(name);
    const t = value && written(old, as, value);
    if (!t) return;
    set(t);
    placed.add(name);
  };
  const visit = (g: GraphProto) => {
    for (const t of g.initializer) taken.add(t.name);
    g.initializer = g.initializer.map((t) => {
      let out = t;
      place(t.name, t, t.name, (v) => (out = v));
      return out;
    });
    for (const node of g.node) {
      for (const o of node.output) taken.add(o);
      if (node.opType === 'Constant') {
        place(node.output[0], constantValue(node), '', (v) => (node.attribute = makeAttributes({ value: v })));
      } else if (node.opType === 'Identity' && values.has(node.output[0])) {
        // An exporter-deduplicated copy trained on its own: the Identity reads its own tensor now.
        const name = unique(`${node.output[0]}/untied`, taken);
        place(node.output[0], prepared.initializer.find((t) => t.name === node.output[0]), name, (v) => {
          top.initializer.push(v);
          node.input[0] = name;
        });
      }
      for (const sub of subgraphsOf(node)) visit(sub);
    }
  };
  visit(top);
  for (const [copy, source] of tiedCopies(prepared)) {
    const value = values.get(source);
    const i = top.initializer.findIndex((t) => t.name === copy);
    if (!value || i < 0) continue;
    const [c, r] = top.initializer[i].dims.map(Number);
    const transposed = new Float32Array(value.length);
    for (let a = 0; a < r; a++) for (let b = 0; b < c; b++) transposed[b * r + a] = value[a * c + b];
    const t = written(top.initializer[i], copy, transposed);
    if (t) top.initializer[i] = t;
  }
  return { model: m, unplaced: [...values.keys()].filter((n) => !placed.has(n)) };
}

function unique(name: string, taken: Set<string>): string {
  let n = name;
  for (let k = 1; taken.has(n); k++) n = `${name}_${k}`;
  taken.add(n);
  return n;
}

/** The one-line note a run logs when the normalized graph is exported instead of the original. */
export function normalizedExportNote(unplaced: string[]): string {
  return `exported the normalized graph (opset-upgraded, Constant weights as initializers), not the original form: `
    + `trained value${unplaced.length > 1 ? 's' : ''} ${unplaced.slice(0, 5).map((n) => `'${n}'`).join(', ')}${unplaced.length > 5 ? ', …' : ''} `
    + `ha${unplaced.length > 1 ? 've' : 's'} no place in the original graph`;
}
