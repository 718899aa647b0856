import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic.js';

/** Element types by safetensors dtype name. Data is little-endian, as on every host we run on. */
const DTYPES = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Uint16Array, // raw half-float bits
  BF16: Uint16Array, // raw bfloat16 bits
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  I8: Int8Array,
  U64: BigUint64Array,
  U32: Uint32Array,
  U16: Uint16Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
} as const;

export type Dtype = keyof typeof DTYPES;
export type TensorData =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

export interface Tensor {
  dtype: Dtype;
  shape: number[];
  data: TensorData;
}

export interface SafetensorsFile {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/** Largest header we accept, as the reference implementation does. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** The file as a list of chunks: length + header, then each tensor's bytes (views, not copies). */
export function safetensorsChunks(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array[] {
  // Widest elements first keeps every tensor aligned to its element size (the data starts 8-aligned).
  const width = (name: string) => DTYPES[tensors[name].dtype]?.BYTES_PER_ELEMENT ?? 0;
  const names = Object.keys(tensors).sort((a, b) => width(b) - width(a) || (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const { dtype, shape, data } = tensors[name];
    checkTensor(name, dtype, shape, data);
    header[name] = { dtype, shape, data_offsets: [offset, offset + data.byteLength] };
    chunks.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    offset += data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const head = Buffer.alloc(8 + Buffer.byteLength(json));
  head.writeBigUInt64LE(BigInt(head.length - 8), 0);
  head.write(json, 8, 'utf8');
  return [head, ...chunks];
}

export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  return Buffer.concat(safetensorsChunks(tensors, metadata));
}

/**
 * Parses and validates a safetensors buffer; `source` (a file name) prefixes every error.
 * Tensors may be views into `bytes`.
 */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors buffer'): SafetensorsFile {
  const fail = (why: string): never => {
    throw new Error(`${source}: ${why}`);
  };
  if (bytes.length < 8) fail(`truncated: ${bytes.length} bytes, too short for the 8-byte header length`);
  const headerLen = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLen > BigInt(bytes.length - 8)) {
    fail(`truncated: header length says ${headerLen} bytes but only ${bytes.length - 8} follow`);
  }
  if (headerLen > BigInt(MAX_HEADER_BYTES)) fail(`header of ${headerLen} bytes is too large`);
  const dataStart = 8 + Number(headerLen);

  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, dataStart - 8).toString('utf8'));
  } catch (err) {
    fail(`bad header: not JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('bad header: not a JSON object');
  const entries = header as Record<string, unknown>;

  const metadata: Record<string, string> = {};
  const meta = entries.__metadata__;
  if (meta !== undefined) {
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) fail('bad header: __metadata__ is not an object');
    for (const [k, v] of Object.entries(meta as object)) {
      if (typeof v !== 'string') fail(`bad header: __metadata__.${k} is not a string`);
      metadata[k] = v;
    }
  }

  const dataLen = bytes.length - dataStart;
  const spans: { name: string; begin: number; end: number }[] = [];
  const tensors: Record<string, Tensor> = {};
  for (const [name, entry] of Object.entries(entries)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as Record<string, unknown>;
    if (typeof dtype !== 'string' || !Object.hasOwn(DTYPES, dtype)) fail(`bad header: tensor "${name}" has unknown dtype ${JSON.stringify(dtype)}`);
    if (!isCounts(shape)) fail(`bad header: tensor "${name}" has a bad shape ${JSON.stringify(shape)}`);
    if (!isCounts(offsets) || offsets.length !== 2 || offsets[0] > offsets[1]) {
      fail(`bad header: tensor "${name}" has bad data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as number[];
    const ctor = DTYPES[dtype as Dtype];
    const expected = (shape as number[]).reduce((n, d) => n * d, 1) * ctor.BYTES_PER_ELEMENT;
    if (end - begin !== expected) {
      fail(`bad header: tensor "${name}" (${dtype} ${JSON.stringify(shape)}) needs ${expected} bytes but data_offsets span ${end - begin}`);
    }
    if (end > dataLen) fail(`truncated: tensor "${name}" ends at byte ${end} of the data but the data has ${dataLen} bytes`);
    spans.push({ name, begin, end });
    // A typed-array view needs an aligned start; copy when the file's layout does not give one.
    const start = bytes.byteOffset + dataStart + begin;
    const count = expected / ctor.BYTES_PER_ELEMENT;
    const data =
      start % ctor.BYTES_PER_ELEMENT === 0
        ? new ctor(bytes.buffer as ArrayBuffer, start, count)
        : new ctor(bytes.buffer.slice(start, start + expected) as ArrayBuffer);
    tensors[name] = { dtype: dtype as Dtype, shape: shape as number[], data };
  }

  // The data must be exactly covered by the tensors: no overlaps, holes or trailing bytes.
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const { name, begin, end } of spans) {
    if (begin !== covered) fail(`bad header: tensor "${name}" starts at ${begin}, expected ${covered} (overlap or hole)`);
    covered = end;
  }
  if (covered !== dataLen) fail(`bad file: ${dataLen - covered} bytes after the last tensor`);
  return { tensors, metadata };
}

export async function writeSafetensors(path: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(path, safetensorsChunks(tensors, metadata));
}

export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  return decodeSafetensors(await readFile(path), path);
}

function checkTensor(name: string, dtype: Dtype, shape: number[], data: TensorData): void {
  if (name === '__metadata__') throw new Error('"__metadata__" is reserved and cannot name a tensor');
  const ctor = DTYPES[dtype];
  if (!ctor) throw new Error(`tensor "${name}": unknown dtype ${dtype}`);
  if (!(data instanceof ctor)) throw new Error(`tensor "${name}": ${dtype} data must be a ${ctor.name}, got ${data?.constructor?.name}`);
  if (!isCounts(shape)) throw new Error(`tensor "${name}": bad shape ${JSON.stringify(shape)}`);
  const n = shape.reduce((a, d) => a * d, 1);
  if (n !== data.length) throw new Error(`tensor "${name}": shape ${JSON.stringify(shape)} has ${n} elements but data has ${data.length}`);
}

function isCounts(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((d) => Number.isSafeInteger(d) && d >= 0);
}
