import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensors, type Tensor } from '../../src/core/checkpoints/safetensors.js';

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'safetensors-test-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const TENSORS: Record<string, Tensor> = {
  'encoder.weight': { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-8, -7]) },
  ids: { dtype: 'I64', shape: [3], data: BigInt64Array.from([1n, -2n, 9007199254740993n]) },
  flag: { dtype: 'U8', shape: [1], data: Uint8Array.from([1]) },
  scalar: { dtype: 'F64', shape: [], data: Float64Array.from([Math.PI]) },
  empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
};

function header(bytes: Uint8Array): { len: number; json: Record<string, any> } {
  const len = Number(Buffer.from(bytes).readBigUInt64LE(0));
  return { len, json: JSON.parse(Buffer.from(bytes).subarray(8, 8 + len).toString()) };
}

test('round trip through a file: F32, I64, U8, F64 scalar, empty tensor, metadata', async () => {
  await withTmp(async (dir) => {
    const path = join(dir, 'a.safetensors');
    await writeSafetensors(path, TENSORS, { format: 'pt', note: 'ünïcode' });
    const back = await readSafetensors(path);
    assert.deepEqual(back.metadata, { format: 'pt', note: 'ünïcode' });
    assert.deepEqual(back.tensors, TENSORS);
  });
});

test('empty metadata and no tensors round trip', () => {
  const back = decodeSafetensors(encodeSafetensors({}));
  assert.deepEqual(back, { tensors: {}, metadata: {} });
  const one = { x: { dtype: 'F32', shape: [1], data: Float32Array.from([2]) } } satisfies Record<string, Tensor>;
  assert.deepEqual(decodeSafetensors(encodeSafetensors(one, {})), { tensors: one, metadata: {} });
});

test('layout: u64 LE header length, space-padded JSON to a multiple of 8, contiguous little-endian data', () => {
  const bytes = encodeSafetensors({
    b: { dtype: 'F32', shape: [1], data: Float32Array.from([1]) },
    a: { dtype: 'I64', shape: [1], data: BigInt64Array.from([258n]) },
  });
  const { len, json } = header(bytes);
  assert.equal(len % 8, 0);
  assert.match(Buffer.from(bytes).subarray(8, 8 + len).toString(), /^\{.*\} *$/);
  assert.equal(json.__metadata__, undefined);
  assert.deepEqual(json.a, { dtype: 'I64', shape: [1], data_offsets: [0, 8] });
  assert.deepEqual(json.b, { dtype: 'F32', shape: [1], data_offsets: [8, 12] });
  assert.equal(bytes.length, 8 + len + 12);
  assert.deepEqual([...bytes.subarray(8 + len, 8 + len + 8)], [2, 1, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...bytes.subarray(8 + len + 8)], [0, 0, 0x80, 0x3f]); // 1.0f
});

test('reads unaligned tensors written by other tools', () => {
  const json = JSON.stringify({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] }, b: { dtype: 'F32', shape: [1], data_offsets: [1, 5] } });
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(json.length));
  const data = Buffer.from([7, 0, 0, 0x80, 0x3f]);
  const back = decodeSafetensors(Buffer.concat([head, Buffer.from(json), data]));
  assert.deepEqual(back.tensors.b.data, Float32Array.from([1]));
  assert.deepEqual(back.tensors.a.data, Uint8Array.from([7]));
});

test('truncated files and bad headers give errors naming the file', async () => {
  await withTmp(async (dir) => {
    const path = join(dir, 'model.safetensors');
    await writeSafetensors(path, TENSORS);
    const full = await readFile(path);
    const { len } = header(full);
    const name = path.replace(/[.\\]/g, '\\$&');

    await writeFile(path, full.subarray(0, full.length - 3));
    await assert.rejects(readSafetensors(path), new RegExp(`^Error: ${name}: truncated: tensor ".*" ends at byte`));
    await writeFile(path, full.subarray(0, 8 + len - 1));
    await assert.rejects(readSafetensors(path), new RegExp(`^Error: ${name}: truncated: header length says ${len} bytes`));
    await writeFile(path, full.subarray(0, 5));
    await assert.rejects(readSafetensors(path), new RegExp(`^Error: ${name}: truncated: 5 bytes`));
    await writeFile(path, Buffer.concat([full, Buffer.from([0])]));
    await assert.rejects(readSafetensors(path), new RegExp(`^Error: ${name}: bad file: 1 bytes after the last tensor`));

    const corrupt = Buffer.from(full);
    corrupt.write('[', 8);
    await writeFile(path, corrupt);
    await assert.rejects(readSafetensors(path), new RegExp(`^Error: ${name}: bad header: not JSON`));
    await rm(path);
    await assert.rejects(readSafetensors(path), { code: 'ENOENT' });
  });
});

test('inconsistent headers are rejected', () => {
  const make = (entries: object, dataLen: number): Uint8Array => {
    const json = JSON.stringify(entries);
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(json.length));
    return Buffer.concat([head, Buffer.from(json), Buffer.alloc(dataLen)]);
  };
  const cases: [object, number, RegExp][] = [
    [{ a: { dtype: 'X9', shape: [1], data_offsets: [0, 4] } }, 4, /unknown dtype "X9"/],
    [{ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4, /bad shape \[-1\]/],
    [{ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 4, /needs 8 bytes but data_offsets span 4/],
    [{ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, 4, /bad data_offsets \[4,0\]/],
    [{ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4, /overlap or hole/],
    [{ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8, /tensor "a" starts at 4, expected 0/],
    [{ __metadata__: { n: 1 } }, 0, /__metadata__\.n is not a string/],
    [[], 0, /not a JSON object/],
  ];
  for (const [entries, dataLen, message] of cases) {
    assert.throws(() => decodeSafetensors(make(entries, dataLen), 'x.safetensors'), (err: Error) => {
      assert.match(err.message, /^x\.safetensors: /);
      assert.match(err.message, message);
      return true;
    });
  }
});

test('encoding checks dtype, data and shape agree', () => {
  assert.throws(() => encodeSafetensors({ a: { dtype: 'F32', shape: [1], data: Float64Array.from([1]) } }), /tensor "a": F32 data must be a Float32Array, got Float64Array/);
  assert.throws(() => encodeSafetensors({ a: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } }), /shape \[2,2\] has 4 elements but data has 3/);
});
