import * as fs from 'node:fs';
import * as path from 'node:path';
import { clone, create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  ModelProtoSchema, StringStringEntryProtoSchema, TensorProto_DataLocation, type ModelProto, type TensorProto,
} from 'onnx-buf';
import { UserError } from './errors.js';
import { elementSize, numel } from './tensor.js';
import { writeFileAtomic } from '../checkpoints/atomic.js';

/** Oldest opset loaded; 7–12 are upgraded to 13 on load (see upgrade/). */
export const MIN_OPSET = 7;
export const MAX_OPSET = 20;

/** Parses an ONNX model from bytes; `source` names it in errors. External data is not resolved here. */
export function parseModel(bytes: Uint8Array, source = 'model'): ModelProto {
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (e) {
    throw new UserError(`${source}: not a valid ONNX model (${(e as Error).message}); the file may be truncated or not ONNX`);
  }
  if (!model.graph || model.graph.node.length === 0) throw new UserError(`${source}: not a valid ONNX model (no graph nodes)`);
  return model;
}

/** Reads an .onnx file and loads every external-data initializer into memory (rawData). */
export function loadModel(file: string): ModelProto {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new UserError(`cannot read model ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  // Parsed from a plain Uint8Array view: bytes fields are then plain views too, whose slice() copies (a Buffer's
  // shares), so prepareModel's clone gives every tensor its own aligned bytes and the file's buffer can be freed.
  const model = parseModel(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), file);
  resolveExternalData(model, path.dirname(file), file);
  return model;
}

export function defaultOpset(model: ModelProto): number {
  const entry = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  return entry ? Number(entry.version) : 0;
}

/** Throws a clear error for opsets outside the range the gradient rules are written for. */
export function checkOpset(model: ModelProto, source: string): number {
  const opset = defaultOpset(model);
  if (opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new UserError(`${source}: opset ${opset} of the default domain is not supported (supported: ${MIN_OPSET}–${MAX_OPSET}, ${MIN_OPSET}–12 upgraded on load); re-export with opset_version=17`);
  }
  return opset;
}

function externalInfo(t: TensorProto): { location: string; offset: number; length?: number } {
  const get = (k: string) => t.externalData.find((e) => e.key === k)?.value;
  const location = get('location');
  if (!location) throw new UserError(`initializer '${t.name}' has external data without a location`);
  const length = get('length');
  return { location, offset: Number(get('offset') ?? 0), length: length === undefined ? undefined : Number(length) };
}

function resolveExternalData(model: ModelProto, dir: string, source: string): void {
  const files = new Map<string, Buffer>();
  const tensors = [...model.graph!.initializer];
  for (const node of model.graph!.node) for (const a of node.attribute) if (a.t) tensors.push(a.t);
  for (const t of tensors) {
    if (t.dataLocation !== TensorProto_DataLocation.EXTERNAL) continue;
    const { location, offset, length } = externalInfo(t);
    const file = path.resolve(dir, location);
    let data = files.get(file);
    if (!data) {
      try {
        data = fs.readFileSync(file);
      } catch {
        throw new UserError(`${source}: external data file '${location}' for initializer '${t.name}' is missing (looked in ${dir})`);
      }
      files.set(file, data);
    }
    const expected = numel(t.dims) * elementSize(t.dataType);
    const n = length ?? expected;
    if (n !== expected || offset + n > data.length) {
      throw new UserError(`${source}: external data for '${t.name}' in '${location}' is truncated or inconsistent (needs ${expected} bytes at offset ${offset}, file has ${data.length})`);
    }
    t.rawData = new Uint8Array(data.buffer, data.byteOffset + offset, n) as Uint8Array<ArrayBuffer>;
    t.dataLocation = TensorProto_DataLocation.DEFAULT;
    t.externalData = [];
  }
}

export interface SaveOptions {
  /** Store initializers of at least this many bytes in `<file>.data` (ONNX external data). Off when undefined. */
  externalDataThreshold?: number;
}

/** Writes a model atomically; with external data, tensors go to `<basename>.data` beside it (also atomic). */
export async function saveModel(model: ModelProto, file: string, opts: SaveOptions = {}): Promise<void> {
  const threshold = opts.externalDataThreshold;
  if (threshold === undefined) {
    await writeFileAtomic(file, toBinary(ModelProtoSchema, model));
    return;
  }
  const location = path.basename(file) + '.data';
  const chunks: Uint8Array[] = [];
  let offset = 0;
  // Externalized tensors are written as new TensorProtos in a shallow copy: the model and its tensors are not changed.
  const initializer = model.graph!.initializer.map((t) => {
    if (t.rawData.length < threshold) return t;
    const raw = t.rawData;
    const pad = (64 - (offset % 64)) % 64; // keep tensors aligned for mmap readers
    if (pad) chunks.push(new Uint8Array(pad));
    offset += pad;
    chunks.push(raw);
    const external = {
      ...t,
      rawData: new Uint8Array(0) as Uint8Array<ArrayBuffer>,
      dataLocation: TensorProto_DataLocation.EXTERNAL,
      externalData: [
        create(StringStringEntryProtoSchema, { key: 'location', value: location }),
        create(StringStringEntryProtoSchema, { key: 'offset', value: String(offset) }),
        create(StringStringEntryProtoSchema, { key: 'length', value: String(raw.length) }),
      ],
    };
    offset += raw.length;
    return external;
  });
  await writeFileAtomic(path.join(path.dirname(file), location), chunks);
  await writeFileAtomic(file, toBinary(ModelProtoSchema, { ...model, graph: { ...model.graph!, initializer } }));
}

export function serializeModel(model: ModelProto): Uint8Array {
  return toBinary(ModelProtoSchema, model);
}

/**
 * A deep copy of a model whose top-level initializers are the same TensorProto objects, so their bytes are not
 * copied: for rewriting a graph whose tensors are replaced, never changed in place (this engine's rule).
 */
export function cloneSharingInitializers(model: ModelProto): ModelProto {
  const graph = model.graph!;
  const initializers = graph.initializer;
  graph.initializer = [];
  try {
    const copy = clone(ModelProtoSchema, model);
    copy.graph!.initializer = [...initializers];
    return copy;
  } finally {
    graph.initializer = initializers;
  }
}
