import type { NodeProto, TensorProto } from 'onnx-buf';
import { attrFloat, attrInt, attrInts, attrString } from '../onnx/attributes.js';
import { tensorInts } from '../onnx/tensor.js';
import type { Emitter } from './emitter.js';

/** What the probe run learned about a value: its element type and its shape for the probe batch. */
export interface ValueInfo { dtype: number; shape: number[] }

/**
 * A gradient rule: given the gradients of a node's outputs, emits nodes computing the gradients of its inputs.
 * `inputs` lists the differentiable input slots (default: all); others (shapes, indices, masks) get no gradient.
 */
export interface GradRule {
  inputs?: number[];
  grad(ctx: RuleContext): (string | undefined)[];
}

export type RuleTable = Record<string, GradRule>;

export class RuleContext {
  constructor(
    readonly e: Emitter,
    readonly node: NodeProto,
    private readonly gradOuts: (string | undefined)[],
    private readonly needs: boolean[],
    private readonly infos: Map<string, ValueInfo>,
    private readonly constants: Map<string, TensorProto>,
    private readonly keep?: (i: number) => string | undefined,
  ) {}

  get opset() { return this.e.opset; }
  input(i: number): string { return this.node.input[i] ?? ''; }
  output(i: number): string { return this.node.output[i]; }
  hasInput(i: number): boolean { return !!this.node.input[i]; }
  gradOut(i = 0): string | undefined { return this.gradOuts[i]; }
  /** The output gradient, or zeros when that output does not reach the loss. */
  gradOutOrZeros(i: number): string {
    return this.gradOuts[i] ?? this.e.zerosLike(this.output(i), this.dtype(this.output(i)));
  }
  needsGrad(i: number): boolean { return this.needs[i] ?? false; }
  /**
   * Output `i` of the forward node, made one of its outputs in the training graph when the model left it out (an
   * optional output the kernel computes anyway, such as LayerNormalization's Mean): see BackwardResult.savedOutputs.
   * Undefined where the backward graph is built without that (the rule then recomputes the value).
   */
  savedOutput(i: number): string | undefined { return this.node.output[i] || this.keep?.(i); }

  info(name: string): ValueInfo {
    const info = this.infos.get(name);
    if (!info) throw new Error(`no shape/type known for value '${name}' (node ${this.node.name})`);
    return info;
  }
  shape(name: string): number[] { return this.info(name).shape; }
  rank(name: string): number { return this.info(name).shape.length; }
  dtype(name: string): number { return this.info(name).dtype; }
  /** A scalar constant of the same float type as the node's first input. */
  scalar(value: number, like = this.input(0)): string { return this.e.scalar(value, this.dtype(like)); }

  /** Integer values of an input that is a constant (initializer or Constant node), else undefined. */
  constInts(name: string): number[] | undefined {
    const t = this.constants.get(name);
    return t ? tensorInts(t) : undefined;
  }

  attrInt(name: string, dflt: number): number { return attrInt(this.node, name, dflt); }
  attrInts(name: string): number[] | undefined { return attrInts(this.node, name); }
  attrFloat(name: string, dflt: number): number { return attrFloat(this.node, name, dflt); }
  attrString(name: string, dflt: string): string { return attrString(this.node, name, dflt); }

  /** Axes from the `axes` attribute or (newer opsets) a constant input; throws if they are only known at runtime. */
  axes(inputIndex: number): number[] | undefined {
    const fromAttr = this.attrInts('axes');
    if (fromAttr) return fromAttr;
    if (!this.hasInput(inputIndex)) return undefined;
    const v = this.constInts(this.input(inputIndex));
    if (!v) throw new Error(`${this.node.opType} node '${this.node.name}': axes computed at runtime are not supported`);
    return v;
  }

  /** Sums `g` (shaped like the node's broadcast output 0) down to the shape of input `x` (undoes broadcasting). */
  unbroadcast(g: string, x: string): string {
    return this.unbroadcastFrom(g, this.shape(this.output(0)), x);
  }

  unbroadcastFrom(g: string, gShape: number[], x: string): string {
    const xShape = this.shape(x);
    const lead = gShape.length - xShape.length;
    const leadAxes = Array.from({ length: lead }, (_, i) => i);
    let out = this.e.sum(g, leadAxes, false);
    const tail = gShape.slice(lead);
    const staticAxes: number[] = [];
    let ambiguous = false;
    for (let i = 0; i < xShape.length; i++) {
      if (xShape[i] === 1 && tail[i] !== 1) staticAxes.push(i);
      else if (xShape[i] === 1 && tail[i] === 1) ambiguous = true;
    }
    if (ambiguous) {
      // A dim of 1 on both sides in the probe may be a dynamic dim that is larger later: decide at run time.
      const ones = this.e.op('Equal', [this.e.shape(x), this.e.i64([1], [])]);
      const axes = this.e.reshape(this.e.op('NonZero', [ones]), [-1]);
      return this.e.sum(out, axes, true);
    }
    return this.e.sum(out, staticAxes, true);
  }
}
