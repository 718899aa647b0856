import type { GraphProto } from 'onnx-buf';
import ort from 'onnxruntime-node';
import { UserError } from './onnx/errors.js';
import { isFloatType } from './onnx/tensor.js';
import { readValueInfo } from './onnx/value-info.js';
import type { Feeds } from './training-graph.js';

/** Input slots of a recurrent node that hold an initial state (initial_h; LSTM's initial_c). */
const STATE_SLOTS: Record<string, number[]> = { LSTM: [5, 6], GRU: [5], RNN: [5] };

/**
 * Float graph inputs read only as the initial states of LSTM/GRU/RNN nodes, directly or through a Slice (PyTorch
 * exports nn.LSTM's `h0` as one [layers·directions, batch, hidden] input, sliced per layer). The data layer does not
 * feed them; the session feeds zeros, as PyTorch starts when no state is passed. Returns each one's declared dims.
 */
export function initialStateInputs(graph: GraphProto): Map<string, (number | string)[]> {
  const consumers = new Map<string, { op: string; slot: number; outputs: string[] }[]>();
  for (const n of graph.node) {
    n.input.forEach((i, slot) => consumers.set(i, [...(consumers.get(i) ?? []), { op: n.opType, slot, outputs: n.output }]));
  }
  const onlyState = (value: string): boolean => {
    const uses = consumers.get(value) ?? [];
    return uses.length > 0 && uses.every((u) => STATE_SLOTS[u.op]?.includes(u.slot) || (u.op === 'Slice' && u.slot === 0 && onlyState(u.outputs[0])));
  };
  const inits = new Set(graph.initializer.map((t) => t.name));
  const out = new Map<string, (number | string)[]>();
  for (const i of graph.input) {
    const v = readValueInfo(i);
    if (!inits.has(i.name) && v && isFloatType(v.elemType) && v.dims.length === 3 && onlyState(i.name)) out.set(i.name, v.dims);
  }
  return out;
}

/** `feeds` plus zeros for every initial-state input it lacks, shaped [dims[0], batch, dims[2]] (batch: the feeds' dim 0). */
export function withZeroStates(states: Map<string, (number | string)[]>, feeds: Feeds): Feeds {
  const missing = [...states].filter(([name]) => !feeds[name]);
  if (missing.length === 0) return feeds;
  const batch = Object.values(feeds).find((t) => t.dims.length > 0)?.dims[0];
  const out = { ...feeds };
  for (const [name, dims] of missing) {
    if (typeof dims[0] !== 'number' || typeof dims[2] !== 'number' || dims[0] <= 0 || dims[2] <= 0 || batch === undefined) {
      throw new UserError(`model input '${name}' (an initial recurrent state) has no fixed size [${dims.join(', ')}] to fill with zeros (export it with fixed layer and hidden sizes)`);
    }
    const shape = [dims[0], batch, dims[2]];
    out[name] = new ort.Tensor('float32', new Float32Array(shape[0] * shape[1] * shape[2]), shape);
  }
  return out;
}
