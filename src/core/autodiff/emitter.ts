import { create } from '@bufbuild/protobuf';
import { GraphProtoSchema, NodeProtoSchema, type NodeProto, type TensorProto } from 'onnx-buf';
import { makeAttributes, type Attrs } from '../onnx/attributes.js';
import { DT, makeTensor, zerosTensor } from '../onnx/tensor.js';
import { makeValueInfo } from '../onnx/value-info.js';

/**
 * Appends ONNX nodes with fresh names and hides opset differences (axes as attribute or input).
 * Gradient rules only talk to this, so they never build protobuf messages themselves.
 */
/** The contrib-op domain some rules emit (ONNX Runtime's CPU kernels), to import where the backward nodes use it. */
export const MS_DOMAIN = 'com.microsoft';

export class Emitter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private counter = 0;
  private readonly constCache = new Map<string, string>();
  private readonly shapeCache = new Map<string, string>();

  constructor(readonly opset: number, readonly prefix = 'grad') {}

  fresh(hint: string): string {
    return `${this.prefix}/${hint}_${this.counter++}`;
  }

  /** Emits one node and returns its outputs' names. */
  opN(opType: string, inputs: string[], nOutputs: number, attrs: Attrs = {}, domain = ''): string[] {
    const outputs = Array.from({ length: nOutputs }, () => this.fresh(opType));
    this.nodes.push(create(NodeProtoSchema, {
      opType, domain, name: outputs[0] + '_node', input: inputs, output: outputs, attribute: makeAttributes(attrs),
    }));
    return outputs;
  }

  /** A copy of a forward node (same inputs and attributes) with fresh names for all its outputs. */
  recompute(node: NodeProto): string[] {
    const outputs = node.output.map(() => this.fresh(node.opType));
    this.nodes.push(create(NodeProtoSchema, { ...node, name: outputs[0] + '_node', output: outputs }));
    return outputs;
  }

  op(opType: string, inputs: string[], attrs: Attrs = {}, domain = ''): string {
    return this.opN(opType, inputs, 1, attrs, domain)[0];
  }

  /** An int64 constant (1-D unless `dims` says otherwise), shared between uses. */
  i64(values: number[], dims: number[] = [values.length]): string {
    return this.constant(`i64:${dims}:${values}`, () => makeTensor('', dims, BigInt64Array.from(values.map(BigInt))));
  }

  /** A scalar of the given float type (FLOAT or DOUBLE). */
  scalar(value: number, dataType: number): string {
    return this.constant(`s:${dataType}:${value}`, () =>
      makeTensor('', [], dataType === DT.DOUBLE ? Float64Array.of(value) : Float32Array.of(value), dataType));
  }

  private constant(key: string, make: () => TensorProto): string {
    let name = this.constCache.get(key);
    if (!name) {
      name = this.fresh('const');
      const t = make();
      t.name = name;
      this.initializers.push(t);
      this.constCache.set(key, name);
    }
    return name;
  }

  shape(x: string): string {
    let s = this.shapeCache.get(x);
    if (!s) this.shapeCache.set(x, (s = this.op('Shape', [x])));
    return s;
  }

  reduce(opType: 'ReduceSum' | 'ReduceMean' | 'ReduceMax' | 'ReduceProd', x: string, axes: number[] | string, keepdims: boolean): string {
    const axesInput = opType === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    if (typeof axes === 'string') {
      if (!axesInput) throw new Error(`${opType} with runtime axes needs opset ${opType === 'ReduceSum' ? 13 : 18}`);
      return this.op(opType, [x, axes], { keepdims: keepdims ? 1 : 0, noop_with_empty_axes: 1 });
    }
    if (axes.length === 0) return x;
    return axesInput
      ? this.op(opType, [x, this.i64(axes)], { keepdims: keepdims ? 1 : 0 })
      : this.op(opType, [x], { axes, keepdims: keepdims ? 1 : 0 });
  }

  sum(x: string, axes: number[] | string, keepdims = false): string {
    return this.reduce('ReduceSum', x, axes, keepdims);
  }

  mean(x: string, axes: number[], keepdims = false): string {
    return this.reduce('ReduceMean', x, axes, keepdims);
  }

  unsqueeze(x: string, axes: number[]): string {
    return this.opset >= 13 ? this.op('Unsqueeze', [x, this.i64(axes)]) : this.op('Unsqueeze', [x], { axes });
  }

  squeeze(x: string, axes: number[]): string {
    return this.opset >= 13 ? this.op('Squeeze', [x, this.i64(axes)]) : this.op('Squeeze', [x], { axes });
  }

  reshape(x: string, shape: string | number[]): string {
    return this.op('Reshape', [x, typeof shape === 'string' ? shape : this.i64(shape)]);
  }

  transpose(x: string, perm: number[]): string {
    return this.op('Transpose', [x], { perm });
  }

  /** Elementwise helpers. */
  add(a: string, b: string) { return this.op('Add', [a, b]); }
  sub(a: string, b: string) { return this.op('Sub', [a, b]); }
  mul(a: string, b: string) { return this.op('Mul', [a, b]); }
  div(a: string, b: string) { return this.op('Div', [a, b]); }
  neg(a: string) { return this.op('Neg', [a]); }

  /** A tensor of zeros shaped like `like` (of the given float type). */
  zerosLike(like: string, dataType: number): string {
    return this.op('ConstantOfShape', [this.shape(like)], { value: zerosTensor(dataType) });
  }

  /**
   * A Scan over axis 0 of `xs` (from the last step to the first when `reverse`, outputs stacked in step order).
   * `step` builds the body with its own emitter: from the states and one slice of each x, the new states and the
   * per-step outputs. Returns the final states, then the stacked outputs. States and steps are of float type
   * `dtype` and rank `rank`.
   */
  scan(
    states: string[], xs: string[], dtype: number, rank: number, reverse: boolean,
    step: (b: Emitter, states: string[], xs: string[]) => { states: string[]; outputs: string[] },
  ): string[] {
    const b = new Emitter(this.opset, this.fresh('scan'));
    const inputs = [...states, ...xs].map(() => b.fresh('in'));
    const built = step(b, inputs.slice(0, states.length), inputs.slice(states.length));
    // A body output must be a value of its own (not a body input or one listed twice).
    const outputs = [...built.states, ...built.outputs].map((o) => b.op('Identity', [o]));
    // onnxruntime wants a shape on every body output; the dims stay symbolic (batch and sizes vary per run).
    const declare = (n: string) => makeValueInfo(n, dtype, Array.from({ length: rank }, (_, i) => `${n}_d${i}`));
    const body = create(GraphProtoSchema, {
      name: b.prefix, node: b.nodes, initializer: b.initializers,
      input: inputs.map(declare), output: outputs.map(declare),
    });
    const directions = (n: number) => new Array(n).fill(reverse ? 1 : 0);
    return this.opN('Scan', [...states, ...xs], states.length + built.outputs.length, {
      body, num_scan_inputs: xs.length, scan_input_directions: directions(xs.length),
      scan_output_directions: directions(built.outputs.length),
    });
  }
}
