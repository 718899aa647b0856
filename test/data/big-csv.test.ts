// A 200 MB CSV streams through scanning, splitting, shuffling and batching with flat memory: the file is never
// held, only an index of where its rows are (~20 bytes a row).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mulberry32, openDataset } from '../../src/core/data/index.js';
import { MODEL_INPUTS, tmpDir } from './helpers.js';

const SIZE = 200 * 1024 * 1024;
const MAX_GROWTH_MIB = 100; // the row index (~17 MiB here) and heap noise; far from the file itself

/**
 * Writes rows of 12 full-precision floats (as pandas writes them) and a label: a 1 MiB block of random rows,
 * repeated (memory and parsing cost do not depend on the values). Returns the row count.
 */
function generate(file: string, size: number): number {
  const rand = mulberry32(1);
  let block = '';
  let perBlock = 0;
  while (block.length < 1 << 20) {
    for (let j = 0; j < 12; j++) block += String(rand() * 2 - 1) + ',';
    block += ['cat', 'dog', 'bird'][perBlock++ % 3] + '\n';
  }
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, 'f0,f1,f2,f3,f4,f5,f6,f7,f8,f9,f10,f11,label\n');
  const bytes = Buffer.from(block);
  let rows = 0;
  for (let written = 0; written < size; written += bytes.length, rows += perBlock) fs.writeSync(fd, bytes);
  fs.closeSync(fd);
  return rows;
}

/** Opens a file as a dataset and reads every training batch, shuffled. */
async function readAll(file: string, onBatch: () => void): Promise<{ rows: number; validation: number; scanSeconds: number }> {
  const t0 = Date.now();
  const ds = await openDataset({ train: file, split: { validation: 0.01, seed: 3 } }, { baseDir: '/', inputs: MODEL_INPUTS.mlp, task: 'classification' });
  const scanSeconds = (Date.now() - t0) / 1000;
  assert.deepEqual(ds.labels, ['bird', 'cat', 'dog']);
  let rows = 0;
  for await (const b of ds.splits.train.batches(512, { shuffle: true, seed: 1, epoch: 0 })) {
    assert.deepEqual(b.inputs.features.dims, [b.size, 12]);
    rows += b.size;
    onBatch();
  }
  return { rows, validation: ds.splits.validation!.size, scanSeconds };
}

test('a 200 MB CSV streams through batching with flat memory', { timeout: 300_000 }, async (t) => {
  const start = process.memoryUsage().rss;
  const dir = tmpDir();
  const file = path.join(dir, 'big.csv');
  const total = generate(file, SIZE);
  // The same work on a 10 MiB file first gives the baseline: its peak RSS holds what any file costs (V8 grows
  // its heap to the allocation rate of this work, whatever the file size), so the bound measures what 20× more
  // data adds. Flat memory: little; a file held in memory: hundreds of MiB.
  let peak = 0;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
  const timer = setInterval(sample, 20);
  generate(path.join(dir, 'small.csv'), 10 * 2 ** 20);
  await readAll(path.join(dir, 'small.csv'), sample);
  const base = peak;
  const t0 = Date.now();
  try {
    const { rows, validation, scanSeconds } = await readAll(file, sample);
    assert.equal(rows + validation, total);
    const growth = (peak - base) / 2 ** 20;
    const seconds = (Date.now() - t0) / 1000;
    t.diagnostic(`${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MiB, ${total} rows: scan ${scanSeconds.toFixed(1)} s, shuffled batches ${(seconds - scanSeconds).toFixed(1)} s, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB (+${growth.toFixed(0)} MiB over the ${(base / 2 ** 20).toFixed(0)} MiB peak for 10 MiB; ${(start / 2 ** 20).toFixed(0)} MiB at start)`);
    assert.ok(growth < MAX_GROWTH_MIB, `peak RSS grew by ${growth.toFixed(0)} MiB`);
  } finally {
    clearInterval(timer);
    fs.rmSync(file, { force: true });
  }
});
