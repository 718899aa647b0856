import { create } from '@bufbuild/protobuf';
import { TensorProtoSchema, TensorProto_DataType as DT, type TensorProto } from 'onnx-buf';

export { DT };
export type TypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

/** Element size in bytes of the ONNX data types we read and write. */
const ELEMENT_SIZE: Partial<Record<number, number>> = {
  [DT.FLOAT]: 4, [DT.DOUBLE]: 8, [DT.INT64]: 8, [DT.INT32]: 4, [DT.UINT8]: 1, [DT.INT8]: 1, [DT.BOOL]: 1, [DT.FLOAT16]: 2,
};

export function elementSize(dataType: number): number {
  const size = ELEMENT_SIZE[dataType];
  if (size === undefined) throw new Error(`unsupported tensor data type ${DT[dataType] ?? dataType}`);
  return size;
}

export function numel(dims: readonly (number | bigint)[]): number {
  return dims.reduce<number>((n, d) => n * Number(d), 1);
}

export function isFloatType(dataType: number): boolean {
  return dataType === DT.FLOAT || dataType === DT.DOUBLE || dataType === DT.FLOAT16 || dataType === DT.BFLOAT16;
}

/** Copies a tensor's values out into a typed array of its own type (float16 is widened to float32). */
export function tensorValues(t: TensorProto): TypedArray {
  const n = numel(t.dims);
  const raw = t.rawData;
  if (raw.length > 0) {
    const bytes = new Uint8Array(raw).buffer; // a copy (raw may be a Buffer view, whose slice() shares memory)
    switch (t.dataType) {
      case DT.FLOAT: return new Float32Array(bytes, 0, n);
      case DT.DOUBLE: return new Float64Array(bytes, 0, n);
      case DT.INT64: return new BigInt64Array(bytes, 0, n);
      case DT.INT32: return new Int32Array(bytes, 0, n);
      case DT.UINT8: case DT.INT8: case DT.BOOL: return new Uint8Array(bytes, 0, n);
      case DT.FLOAT16: return halfToFloat(new Uint16Array(bytes, 0, n));
    }
  } else {
    switch (t.dataType) {
      case DT.FLOAT: return Float32Array.from(t.floatData);
      case DT.DOUBLE: return Float64Array.from(t.doubleData);
      case DT.INT64: return BigInt64Array.from(t.int64Data);
      case DT.INT32: return Int32Array.from(t.int32Data);
      case DT.UINT8: case DT.INT8: case DT.BOOL: return Uint8Array.from(t.int32Data);
      case DT.FLOAT16: return halfToFloat(Uint16Array.from(t.int32Data));
    }
  }
  throw new Error(`tensor '${t.name}': unsupported data type ${DT[t.dataType] ?? t.dataType}`);
}

/** A float32 tensor's values as a view over its raw bytes when they are 4-byte aligned (else a copy). */
export function floatView(t: TensorProto): Float32Array {
  const raw = t.rawData;
  if (t.dataType === DT.FLOAT && raw.length > 0 && raw.byteOffset % 4 === 0) return new Float32Array(raw.buffer, raw.byteOffset, numel(t.dims));
  return tensorValues(t) as Float32Array;
}

/** Reads a small integer tensor (shapes, axes, indices) as plain numbers. */
export function tensorInts(t: TensorProto): number[] {
  return Array.from(tensorValues(t) as ArrayLike<number | bigint>, Number);
}

export function dataTypeOf(values: TypedArray): number {
  if (values instanceof Float32Array) return DT.FLOAT;
  if (values instanceof Float64Array) return DT.DOUBLE;
  if (values instanceof BigInt64Array) return DT.INT64;
  if (values instanceof Int32Array) return DT.INT32;
  return DT.UINT8;
}

/** Builds a TensorProto holding `values` as raw little-endian bytes. */
export function makeTensor(name: string, dims: readonly number[], values: TypedArray, dataType = dataTypeOf(values)): TensorProto {
  const rawData = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) as Uint8Array<ArrayBuffer>;
  return create(TensorProtoSchema, { name, dims: dims.map(BigInt), dataType, rawData });
}

function halfToFloat(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const x = h[i], sign = x & 0x8000 ? -1 : 1, exp = (x >> 10) & 0x1f, frac = x & 0x3ff;
    out[i] = exp === 0 ? sign * 2 ** -14 * (frac / 1024)
      : exp === 31 ? (frac ? NaN : sign * Infinity)
      : sign * 2 ** (exp - 15) * (1 + frac / 1024);
  }
  return out;
}

/** A zero-filled float tensor (FLOAT or DOUBLE), e.g. the `value` of a ConstantOfShape. */
export function zerosTensor(dataType: number, dims: number[] = [1]): TensorProto {
  const n = numel(dims);
  return makeTensor('', dims, dataType === DT.DOUBLE ? new Float64Array(n) : new Float32Array(n), dataType);
}
