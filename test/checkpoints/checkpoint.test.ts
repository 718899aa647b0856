import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointDir, listCheckpoints, loadCheckpoint, saveCheckpoint, type Checkpoint } from '../../src/core/checkpoints/checkpoint.js';
import { writeFileAtomic, writeJsonAtomic } from '../../src/core/checkpoints/atomic.js';

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'checkpoint-test-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function sample(step: number): Checkpoint {
  // Params as views into one contiguous buffer, as the engine holds them.
  const flat = Float32Array.from([1, 2, 3, 4, 5, 6, 7].map((v) => v * step));
  return {
    params: { 'layer.weight': { dims: [2, 3], data: flat.subarray(0, 6) }, 'layer.bias': { dims: [1], data: flat.subarray(6) } },
    optimizer: { 'exp_avg.layer.weight': Float32Array.from([0.5, -0.5, 0, 1, 2, 3]), 'exp_avg.layer.bias': Float32Array.from([step]) },
    state: { step, optimizer: { step }, config: { lr: 0.001 } },
  };
}

function plain(ckpt: Checkpoint): unknown {
  const params = Object.fromEntries(Object.entries(ckpt.params).map(([k, p]) => [k, { dims: p.dims, data: Array.from(p.data) }]));
  const optimizer = Object.fromEntries(Object.entries(ckpt.optimizer).map(([k, d]) => [k, Array.from(d)]));
  return { params, optimizer, state: ckpt.state };
}

test('checkpoint round trip', async () => {
  await withTmp(async (run) => {
    const dir = checkpointDir(run, 123);
    assert.equal(dir, join(run, 'checkpoints', 'step-000123'));
    await saveCheckpoint(dir, sample(3));
    assert.deepEqual((await readdir(dir)).sort(), ['model.safetensors', 'optimizer.safetensors', 'state.json']);
    assert.deepEqual(plain(await loadCheckpoint(dir)), plain(sample(3)));
  });
});

test('saving over an existing checkpoint replaces it', async () => {
  await withTmp(async (run) => {
    const dir = checkpointDir(run, 1);
    await saveCheckpoint(dir, sample(1));
    await saveCheckpoint(dir, sample(2));
    assert.deepEqual(plain(await loadCheckpoint(dir)), plain(sample(2)));
    assert.deepEqual(await readdir(join(run, 'checkpoints')), ['step-000001']);
  });
});

test('listCheckpoints sorts by step and skips temp dirs, files and a missing run', async () => {
  await withTmp(async (run) => {
    assert.deepEqual(await listCheckpoints(run), []);
    for (const step of [1000000, 20, 3]) await saveCheckpoint(checkpointDir(run, step), sample(1));
    // What a crash mid-save leaves behind.
    await mkdir(join(run, 'checkpoints', 'step-000040.tmp-123-abcd'));
    await writeFile(join(run, 'checkpoints', 'step-000050'), 'not a dir');
    assert.deepEqual(await listCheckpoints(run), [
      { step: 3, dir: checkpointDir(run, 3) },
      { step: 20, dir: checkpointDir(run, 20) },
      { step: 1000000, dir: checkpointDir(run, 1000000) },
    ]);
  });
});

test('a failed save leaves the previous checkpoint intact and no temp dir behind', async () => {
  await withTmp(async (run) => {
    const dir = checkpointDir(run, 5);
    await saveCheckpoint(dir, sample(1));
    const before = await readdir(join(run, 'checkpoints'));

    // Fails after model.safetensors has been written: a bad optimizer tensor.
    const broken = { ...sample(2), optimizer: { 'exp_avg.x': new Float64Array(2) as unknown as Float32Array } };
    await assert.rejects(saveCheckpoint(dir, broken), /tensor "exp_avg.x": F32 data must be a Float32Array/);
    // Fails before writing anything: state that is not JSON.
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await assert.rejects(saveCheckpoint(dir, { ...sample(2), state: cyclic }), /circular/i);
    await assert.rejects(saveCheckpoint(checkpointDir(run, 6), broken));

    assert.deepEqual(await readdir(join(run, 'checkpoints')), before);
    assert.deepEqual(plain(await loadCheckpoint(dir)), plain(sample(1)));
    assert.deepEqual(await listCheckpoints(run), [{ step: 5, dir }]);
  });
});

test('loadCheckpoint errors name the missing or corrupt file', async () => {
  await withTmp(async (run) => {
    const dir = checkpointDir(run, 1);
    await saveCheckpoint(dir, sample(1));
    const model = join(dir, 'model.safetensors');
    const good = await readFile(model);

    await truncate(model, good.length - 4);
    await assert.rejects(loadCheckpoint(dir), (err: Error) => err.message.startsWith(`${model}: truncated`));
    await writeFile(model, good);

    await writeFile(join(dir, 'state.json'), '{"step": 1');
    await assert.rejects(loadCheckpoint(dir), (err: Error) => err.message.startsWith(`${join(dir, 'state.json')}: not valid JSON`));

    await rm(join(dir, 'optimizer.safetensors'));
    await assert.rejects(loadCheckpoint(dir), (err: Error) => err.message === `checkpoint ${dir} is missing optimizer.safetensors`);
    await assert.rejects(loadCheckpoint(join(run, 'nope')), /is missing model\.safetensors/);
  });
});

test('writeFileAtomic / writeJsonAtomic replace whole files and leave no temp files', async () => {
  await withTmp(async (dir) => {
    const path = join(dir, 'state.json');
    await writeJsonAtomic(path, { a: 1 });
    await writeJsonAtomic(path, { b: [1, 2] });
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { b: [1, 2] });
    await writeFileAtomic(join(dir, 'chunks.bin'), [Uint8Array.from([1, 2]), Uint8Array.from([3])]);
    assert.deepEqual([...(await readFile(join(dir, 'chunks.bin')))], [1, 2, 3]);
    await assert.rejects(writeJsonAtomic(path, undefined), /cannot write undefined as JSON/);
    await assert.rejects(writeFileAtomic(join(dir, 'missing', 'x'), 'x'), { code: 'ENOENT' });
    assert.deepEqual((await readdir(dir)).sort(), ['chunks.bin', 'state.json']);
  });
});
