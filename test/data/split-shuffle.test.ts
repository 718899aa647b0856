// Seeded, stratified splits and seeded shuffling: the same on every machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32, openDataset } from '../../src/core/data/index.js';
import { splitRows } from '../../src/core/data/split.js';
import { collect, MODEL_INPUTS, nums, tmpDir, writeFiles } from './helpers.js';

test('mulberry32 is the published algorithm (same stream everywhere)', () => {
  const r = mulberry32(42);
  // Reference values of mulberry32(42): 0.6011037519201636, ...
  assert.deepEqual([r(), r(), r()].map((x) => x * 2 ** 32), [2581720956, 1925393290, 3661312704]);
});

test('stratified split keeps class proportions, is disjoint, and depends only on the seed', () => {
  const labels = Int32Array.from({ length: 100 }, (_, i) => (i < 70 ? 0 : i < 90 ? 1 : 2));
  const s = splitRows(100, { validation: 0.2, test: 0.1 }, { seed: 7, labels });
  const count = (rows: Uint32Array, l: number) => Array.from(rows).filter((r) => labels[r] === l).length;
  assert.deepEqual([0, 1, 2].map((l) => count(s.validation!, l)), [14, 4, 2]);
  assert.deepEqual([0, 1, 2].map((l) => count(s.test!, l)), [7, 2, 1]);
  assert.equal(s.train.length, 70);
  assert.deepEqual([...s.train, ...s.validation!, ...s.test!].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
  assert.deepEqual(Array.from(s.train), Array.from(s.train).sort((a, b) => a - b)); // file order within a split
  assert.deepEqual(splitRows(100, { validation: 0.2, test: 0.1 }, { seed: 7, labels }), s);
  assert.notDeepEqual(splitRows(100, { validation: 0.2, test: 0.1 }, { seed: 8, labels }).validation, s.validation);
  assert.throws(() => splitRows(10, { validation: 0.6, test: 0.5 }, { seed: 0 }), /sum to less than 1/);
});

/** 40 rows, row i has all features = i and label i % 4 — so a batch's rows can be read back from its features. */
async function numbered() {
  const lines = ['x0,x1,x2,x3,x4,x5,x6,x7,x8,x9,x10,x11,label'];
  for (let i = 0; i < 40; i++) lines.push([...new Array(12).fill(i), `c${i % 4}`].join(','));
  const dir = writeFiles(tmpDir(), { 'train.csv': lines.join('\n') + '\n' });
  return openDataset({ train: 'train.csv', split: { validation: 0.25, seed: 1 } }, { baseDir: dir, inputs: MODEL_INPUTS.mlp, task: 'classification' });
}
const rowIds = (b: { inputs: Record<string, { data: Float32Array | BigInt64Array }> }) => nums(b.inputs.features).filter((_, k) => k % 12 === 0);

test('shuffled epochs: a seeded permutation, reproducible, different per epoch', async () => {
  const ds = await numbered();
  assert.equal(ds.splits.train.size, 30);
  assert.equal(ds.splits.validation!.size, 10);
  const order = async (seed: number, epoch: number) =>
    (await collect(ds.splits.train.batches(8, { shuffle: true, seed, epoch }))).flatMap(rowIds);
  const a = await order(5, 0);
  assert.deepEqual(await order(5, 0), a);
  assert.notDeepEqual(await order(5, 1), a);
  assert.notDeepEqual(await order(6, 0), a);
  const validation = (await collect(ds.splits.validation!.batches(100, { shuffle: false, seed: 0, epoch: 0 }))).flatMap(rowIds);
  assert.deepEqual([...a, ...validation].sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => i));
  // Every label keeps its share in validation (stratified: 10 rows of each of the 4 classes → 2 or 3 each).
  assert.ok([0, 1, 2, 3].every((l) => [2, 3].includes(validation.filter((r) => r % 4 === l).length)));
  // The documented algorithm, written again independently below: stratified split, then a Fisher–Yates shuffle
  // of the train rows (file order) driven by mulberry32(mix(seed, shuffle stream + epoch)).
  const { train, validation: expectedValidation } = expectedSplit(40, (r) => r % 4, 0.25, 1);
  assert.deepEqual(validation, expectedValidation);
  for (const [seed, epoch] of [[5, 0], [5, 1], [6, 0]]) {
    assert.deepEqual(await order(seed, epoch), expectedShuffle(train, seed, epoch), `seed ${seed} epoch ${epoch}`);
  }
});

test('dropLast drops the short final batch; without shuffling batches are consecutive rows', async () => {
  const ds = await numbered();
  const all = await collect(ds.splits.train.batches(8, { shuffle: false, seed: 0, epoch: 0 }));
  assert.deepEqual(all.map((b) => b.size), [8, 8, 8, 6]);
  const dropped = await collect(ds.splits.train.batches(8, { shuffle: false, seed: 0, epoch: 0, dropLast: true }));
  assert.deepEqual(dropped.map((b) => b.size), [8, 8, 8]);
  const rows = all.flatMap(rowIds);
  assert.deepEqual(rows, [...rows].sort((x, y) => x - y));
});

// --- An independent statement of the documented shuffle (src/core/data/random.ts), in BigInt arithmetic. ---

const M32 = (1n << 32n) - 1n;
/** mulberry32 as published (Tommy Ettinger): 32-bit wrapping arithmetic, here done on BigInts masked to 32 bits. */
function* mulberry(seed: number): Generator<number> {
  let state = BigInt(seed >>> 0);
  for (;;) {
    state = (state + 0x6d2b79f5n) & M32;
    let t = state;
    t = ((t ^ (t >> 15n)) * (t | 1n)) & M32;
    t = (t ^ (t + (((t ^ (t >> 7n)) * (t | 61n)) & M32))) & M32;
    yield Number((t ^ (t >> 14n)) & M32) / 2 ** 32;
  }
}
/** The seed of a stream: (seed xor (stream + 1)·golden) through murmur3's 32-bit finalizer. */
function streamSeed(seed: number, stream: number): number {
  let h = (BigInt(seed) ^ ((BigInt(stream + 1) * 0x9e3779b9n) & M32)) & M32;
  h = ((h ^ (h >> 16n)) * 0x85ebca6bn) & M32;
  h = ((h ^ (h >> 13n)) * 0xc2b2ae35n) & M32;
  return Number((h ^ (h >> 16n)) & M32);
}
/** Fisher–Yates from the end: swap i with floor(u·(i+1)). */
function fisherYates<T>(items: T[], random: Generator<number>): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random.next().value * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
const SPLIT_STREAM = 0x5b11, SHUFFLE_STREAM = 0x5f00;

/** Stratified split: per label (in label order) shuffle that label's rows; the first share goes to validation. */
function expectedSplit(n: number, label: (row: number) => number, fraction: number, seed: number) {
  const random = mulberry(streamSeed(seed, SPLIT_STREAM));
  const labels = [...new Set(Array.from({ length: n }, (_, r) => label(r)))].sort((x, y) => x - y);
  const groups = labels.map((l) => Array.from({ length: n }, (_, r) => r).filter((r) => label(r) === l));
  // round(n·fraction) rows, floor of each group's share first, the rest by largest remainder (ties: earlier group)
  const share = groups.map((g) => Math.floor(g.length * fraction));
  const extra = Math.round(n * fraction) - share.reduce((x, y) => x + y, 0);
  groups.map((g, i) => [g.length * fraction - share[i], i]).sort((x, y) => y[0] - x[0] || x[1] - y[1]).slice(0, extra).forEach(([, i]) => share[i]++);
  const validation: number[] = [];
  groups.forEach((g, i) => validation.push(...fisherYates(g, random).slice(0, share[i])));
  const inValidation = new Set(validation);
  return { train: Array.from({ length: n }, (_, r) => r).filter((r) => !inValidation.has(r)), validation: validation.sort((x, y) => x - y) };
}
const expectedShuffle = (rows: number[], seed: number, epoch: number) => fisherYates(rows, mulberry(streamSeed(seed, SHUFFLE_STREAM + epoch)));

test('the independent statement reproduces the published mulberry32 stream', () => {
  const r = mulberry(42);
  assert.deepEqual([r.next().value, r.next().value, r.next().value].map((x) => x * 2 ** 32), [2581720956, 1925393290, 3661312704]);
});
