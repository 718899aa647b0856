import { create } from '@bufbuild/protobuf';
import {
  AttributeProtoSchema, AttributeProto_AttributeType as AT, type AttributeProto, type GraphProto, type NodeProto,
  type TensorProto,
} from 'onnx-buf';

/** Marks a number as a FLOAT attribute (plain numbers become INT attributes). */
export class F { constructor(readonly value: number) {} }
export class Fs { constructor(readonly values: number[]) {} }
export const f = (v: number) => new F(v);
export const fs = (v: number[]) => new Fs(v);

export type AttrValue = number | number[] | string | F | Fs | TensorProto | GraphProto;
export type Attrs = Record<string, AttrValue | undefined>;

/** An int64 from a number; 2^63 (INT64_MAX as a number, an exporter's "to the end") becomes INT64_MAX again. */
export const toInt64 = (v: number) => (v >= 2 ** 63 ? 2n ** 63n - 1n : BigInt(v));

export function makeAttribute(name: string, v: AttrValue): AttributeProto {
  if (typeof v === 'number') return create(AttributeProtoSchema, { name, type: AT.INT, i: toInt64(v) });
  if (typeof v === 'string') return create(AttributeProtoSchema, { name, type: AT.STRING, s: new TextEncoder().encode(v) as Uint8Array<ArrayBuffer> });
  if (Array.isArray(v)) return create(AttributeProtoSchema, { name, type: AT.INTS, ints: v.map(toInt64) });
  if (v instanceof F) return create(AttributeProtoSchema, { name, type: AT.FLOAT, f: v.value });
  if (v instanceof Fs) return create(AttributeProtoSchema, { name, type: AT.FLOATS, floats: v.values });
  if (v.$typeName === 'onnx.GraphProto') return create(AttributeProtoSchema, { name, type: AT.GRAPH, g: v });
  return create(AttributeProtoSchema, { name, type: AT.TENSOR, t: v });
}

export function makeAttributes(attrs: Attrs): AttributeProto[] {
  return Object.entries(attrs).filter(([, v]) => v !== undefined).map(([k, v]) => makeAttribute(k, v!));
}

export function findAttr(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

export function attrInt(node: NodeProto, name: string, dflt: number): number;
export function attrInt(node: NodeProto, name: string): number | undefined;
export function attrInt(node: NodeProto, name: string, dflt?: number): number | undefined {
  const a = findAttr(node, name);
  return a ? Number(a.i) : dflt;
}

export function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = findAttr(node, name);
  return a ? a.ints.map(Number) : undefined;
}

export function attrFloat(node: NodeProto, name: string, dflt: number): number {
  const a = findAttr(node, name);
  return a ? a.f : dflt;
}

export function attrString(node: NodeProto, name: string, dflt: string): string {
  const a = findAttr(node, name);
  return a ? new TextDecoder().decode(a.s) : dflt;
}
