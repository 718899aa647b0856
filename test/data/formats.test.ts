// JSONL, JSON arrays, plain text, text folders, Parquet and numeric tables, each read into batches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { detectFormat, openDataset, type ModelInput } from '../../src/core/data/index.js';
import { writeParquet } from './parquet-writer.js';
import { collect, DATA_FIXTURES, MODEL_INPUTS, nums, TEXT_INPUTS, tmpDir, WORDPIECE, writeFiles } from './helpers.js';

const inOrder = { shuffle: false, seed: 0, epoch: 0 };
const pad = (ids: number[], n = 16) => [...ids, ...new Array(n - ids.length).fill(0)];
const textModel = (dir: string) => ({ baseDir: dir, inputs: TEXT_INPUTS, task: 'classification' as const });

test('JSONL: rows by key, blank lines skipped, bad lines named by line', async () => {
  const dir = writeFiles(tmpDir(), {
    'train.jsonl': '{"text": "The cat sat on the mat.", "label": "pos"}\n\n{"text": "Dogs playing!", "label": "neg"}\r\n',
    'bad.jsonl': '{"text": "the cat", "label": "pos"}\n{"text": "the dog", "label": \n[1, 2]\n',
  });
  const ds = await openDataset({ train: 'train.jsonl', tokenizer: WORDPIECE }, textModel(dir));
  const [b] = await collect(ds.splits.train.batches(4, inOrder));
  assert.deepEqual(nums(b.inputs.input_ids), [...pad([2, 5, 6, 7, 8, 5, 9, 15, 3]), ...pad([2, 10, 14, 11, 12, 17, 3])]);
  assert.deepEqual(nums(b.labels), [1, 0]);
  await assert.rejects(openDataset({ train: 'bad.jsonl', tokenizer: WORDPIECE }, textModel(dir)), /bad\.jsonl:2: invalid JSON/);
  const skipping = await openDataset({ train: 'bad.jsonl', tokenizer: WORDPIECE, skipBadRows: true }, textModel(dir));
  assert.deepEqual(skipping.skippedRows.map((r) => [r.line, r.reason.replace(/:.*/, '')]), [[2, 'invalid JSON'], [3, 'not a JSON object']]);
});

test('JSONL: invalid UTF-8 is reported, not decoded into replacement characters', async () => {
  const dir = writeFiles(tmpDir(), {
    'train.jsonl': Buffer.concat([Buffer.from('{"text": "the cat", "label": "pos"}\n{"text": "the d'), Buffer.from([0xc3, 0x28]), Buffer.from('g", "label": "neg"}\n')]),
  });
  await assert.rejects(openDataset({ train: 'train.jsonl', tokenizer: WORDPIECE }, textModel(dir)), /train\.jsonl:2: invalid UTF-8/);
});

test('JSON arrays (plain or under one key) and JSON Lines saved as .json', async () => {
  const rows = [{ sentence: 'the cat sat', label: 1 }, { sentence: 'a dog', label: 0 }, { sentence: 'the mat', label: 1 }];
  const dir = writeFiles(tmpDir(), {
    'array.json': JSON.stringify(rows),
    'wrapped.json': JSON.stringify({ version: 2, data: rows }),
    'lines.json': rows.map((r) => JSON.stringify(r)).join('\n'),
    'broken.json': '[{"sentence": "the cat", "label": 1},',
  });
  assert.equal(detectFormat(path.join(dir, 'array.json')), 'json');
  assert.equal(detectFormat(path.join(dir, 'lines.json')), 'jsonl');
  for (const f of ['array.json', 'wrapped.json', 'lines.json']) {
    const ds = await openDataset({ train: f, tokenizer: WORDPIECE }, textModel(dir));
    const [b] = await collect(ds.splits.train.batches(8, inOrder));
    assert.deepEqual(nums(b.labels), [1, 0, 1], f);
    assert.deepEqual(nums(b.inputs.input_ids).slice(0, 16), pad([2, 5, 6, 7, 3]), f);
  }
  await assert.rejects(openDataset({ train: 'broken.json', tokenizer: WORDPIECE }, textModel(dir)), /broken\.json: invalid JSON/);
});

test('plain text for causal-lm: one example per line, labels are the input ids', async () => {
  const dir = writeFiles(tmpDir(), { 'corpus.txt': 'hello world!\n\nlower hello\n' });
  const inputs: ModelInput[] = [
    { name: 'input_ids', type: 'int64', dims: ['batch', 'sequence'] },
    { name: 'attention_mask', type: 'int64', dims: ['batch', 'sequence'] },
  ];
  const ds = await openDataset(
    { train: 'corpus.txt', tokenizer: path.join(DATA_FIXTURES, 'bpe/tokenizer.json'), maxLength: 6 },
    { baseDir: dir, inputs, task: 'causal-lm' },
  );
  assert.equal(ds.labels, undefined);
  const [b] = await collect(ds.splits.train.batches(2, inOrder));
  assert.deepEqual(b.inputs.input_ids.dims, [2, 6]);
  assert.deepEqual(nums(b.inputs.input_ids), [20, 25, 1, 0, 0, 0, 9, 27, 29, 4, 20, 0]);
  assert.deepEqual(nums(b.inputs.attention_mask), [1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0]);
  assert.equal(b.labels, b.inputs.input_ids);
});

test('a folder of .txt files per label, with split sub-folders', async () => {
  const dir = writeFiles(tmpDir(), {
    'reviews/train/pos/a.txt': 'The cat sat on the mat.\n',
    'reviews/train/pos/b.txt': 'the dog sat',
    'reviews/train/neg/c.txt': 'Dogs playing!',
    'reviews/train/neg/empty.txt': '  \n',
    'reviews/test/pos/d.txt': 'a cat',
    'reviews/test/neg/e.txt': 'a dog',
  });
  assert.equal(detectFormat(path.join(dir, 'reviews')), 'text-folder');
  await assert.rejects(openDataset({ train: 'reviews', tokenizer: WORDPIECE }, textModel(dir)), /reviews\/train\/neg\/empty\.txt: empty text in column 'text'/);
  const ds = await openDataset({ train: 'reviews', tokenizer: WORDPIECE, skipBadRows: true }, textModel(dir));
  assert.deepEqual(ds.labels, ['neg', 'pos']);
  assert.equal(ds.splits.train.size, 3);
  assert.equal(ds.splits.test!.size, 2);
  const [b] = await collect(ds.splits.train.batches(8, inOrder));
  // Label folders in name order (neg, pos), files in name order within each.
  assert.deepEqual(nums(b.labels), [0, 1, 1]);
  assert.deepEqual(nums(b.inputs.input_ids).slice(0, 16), pad([2, 10, 14, 11, 12, 17, 3]));
});

test('Parquet: rows across row groups, nulls are bad rows named by row number', async () => {
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, 'train.parquet'), writeParquet([
    { name: 'text', type: 'string', values: ['The cat sat on the mat.', 'Dogs playing!', null, 'the dog sat', 'a mat'] },
    { name: 'label', type: 'int64', values: [1, 0, 1, 2, 2] },
  ], 2));
  await assert.rejects(openDataset({ train: 'train.parquet', tokenizer: WORDPIECE }, textModel(dir)), /train\.parquet: row 3: empty text in column 'text'/);
  const ds = await openDataset({ train: 'train.parquet', tokenizer: WORDPIECE, skipBadRows: true }, textModel(dir));
  assert.deepEqual(ds.labels, ['0', '1', '2']);
  assert.equal(ds.skipped, 1);
  const [b] = await collect(ds.splits.train.batches(4, inOrder));
  assert.deepEqual(nums(b.labels), [1, 0, 2, 2]);
  assert.deepEqual(nums(b.inputs.input_ids).slice(16, 32), pad([2, 10, 14, 11, 12, 17, 3]));
  // Shuffled epochs are permutations of the same rows (row groups read whole, in a seeded order).
  const shuffled = await collect(ds.splits.train.batches(1, { shuffle: true, seed: 3, epoch: 0 }));
  assert.deepEqual(shuffled.map((x) => nums(x.labels)[0]).sort(), [0, 1, 2, 2]);
});

test('Parquet regression: a float target column gives float32 [B] labels', async () => {
  const dir = tmpDir();
  const features = Array.from({ length: 12 }, (_, k) => ({ name: `f${k}`, type: 'double' as const, values: [k, k + 0.5, -k] }));
  fs.writeFileSync(path.join(dir, 'train.parquet'), writeParquet([...features, { name: 'y', type: 'double', values: [0.25, -1.5, 3] }], 2));
  const ds = await openDataset({ train: 'train.parquet' }, { baseDir: dir, inputs: MODEL_INPUTS.mlp, task: 'regression' });
  assert.equal(ds.columns.find((c) => c.name === 'y')!.role, 'target');
  const [b] = await collect(ds.splits.train.batches(3, inOrder));
  assert.deepEqual(b.labels.dims, [3]);
  assert.deepEqual(nums(b.labels), [0.25, -1.5, 3]);
  assert.deepEqual(nums(b.inputs.features).slice(12, 24), Array.from({ length: 12 }, (_, k) => k + 0.5));
});

test('numeric CSV columns feed a [B,K] float input; the wrong number of them is refused', async () => {
  const header = [...Array.from({ length: 12 }, (_, k) => `x${k}`), 'class'].join(',');
  const row = (v: number, c: string) => [...new Array(12).fill(v), c].join(',');
  const dir = writeFiles(tmpDir(), {
    'train.csv': [header, row(0.5, 'a'), row(-1, 'b'), row(2, 'a'), ''].join('\n'),
    'narrow.csv': 'x0,x1,class\n1,2,a\n3,4,b\n5,6,a\n',
  });
  const ds = await openDataset({ train: 'train.csv' }, { baseDir: dir, inputs: MODEL_INPUTS.mlp, task: 'classification' });
  const [b] = await collect(ds.splits.train.batches(3, inOrder));
  assert.deepEqual(b.inputs.features.dims, [3, 12]);
  assert.deepEqual(nums(b.inputs.features).slice(12, 14), [-1, -1]);
  assert.deepEqual(nums(b.labels), [0, 1, 0]);
  await assert.rejects(
    openDataset({ train: 'narrow.csv' }, { baseDir: dir, inputs: MODEL_INPUTS.mlp, task: 'classification' }),
    /takes 12 numbers per row; found 2 numeric column\(s\) \(x0, x1\)/,
  );
});
