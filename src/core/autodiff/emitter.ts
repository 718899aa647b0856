import { create } from '@bufbuild/protobuf';
import { NodeProtoSchema, type NodeProto, type TensorProto } from 'onnx-buf';
import { makeAttributes, type Attrs } from '../onnx/attributes.js';
import { DT, makeTensor, zerosTensor } from '../onnx/tensor.js';

/**
 * Appends ONNX nodes with fresh names and hides opset differences (axes as attribute or input).
 * Gradient rules only talk to this, so they never build protobuf messages themselves.
 */
export class Emitter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private counter = 0;
  private readonly constCache = new Map<string, string>();
  private readonly shapeCache = new Map<string, string>();

  constructor(readonly opset: number, private readonly prefix = 'grad') {}

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

  reduce(opType: 'ReduceSum' | 'ReduceMean' | 'ReduceMax', x: string, axes: number[] | string, keepdims: boolean): string {
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
}
