import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDataset } from '../../src/core/data/index.js';
import { collect, nums, TEXT_INPUTS, tmpDir, WORDPIECE, writeFiles } from './helpers.js';

const pad = (ids: number[], n = 16) => [...ids, ...new Array(n - ids.length).fill(0)];
const open = (dir: string, spec: object = {}) =>
  openDataset({ train: 'train.csv', tokenizer: WORDPIECE, ...spec }, { baseDir: dir, inputs: TEXT_INPUTS, task: 'classification' });
const firstBatch = async (ds: Awaited<ReturnType<typeof open>>, n = 8) => (await collect(ds.splits.train.batches(n, { shuffle: false, seed: 0, epoch: 0 })))[0];

test('CSV: BOM, CRLF, quoted fields with commas, quotes and embedded newlines', async () => {
  const dir = writeFiles(tmpDir(), {
    'train.csv': '\uFEFFtext,label\r\n"The cat sat on the mat.",pos\r\n"Dogs playing!\r\nThe cat, sat.",neg\r\n"a ""cat""",pos\r\n',
  });
  const ds = await open(dir);
  assert.deepEqual(ds.columns, [{ name: 'text', role: 'text' }, { name: 'label', role: 'label' }]);
  assert.deepEqual(ds.labels, ['neg', 'pos']);
  const b = await firstBatch(ds);
  assert.equal(b.size, 3);
  assert.deepEqual(b.inputs.input_ids.dims, [3, 16]);
  assert.deepEqual(nums(b.inputs.input_ids).slice(0, 32), [
    ...pad([2, 5, 6, 7, 8, 5, 9, 15, 3]),
    ...pad([2, 10, 14, 11, 12, 17, 5, 6, 16, 7, 15, 3]), // the newline inside the quotes is just whitespace
  ]);
  assert.deepEqual(nums(b.inputs.attention_mask).slice(0, 16), pad(new Array(9).fill(1)));
  assert.deepEqual(nums(b.inputs.token_type_ids), new Array(48).fill(0));
  assert.deepEqual(nums(b.labels), [1, 0, 1]);
});

test('CSV without a header row: detected, columns named by position, roles from values', async () => {
  const dir = writeFiles(tmpDir(), {
    'train.csv': 'The cat sat on the mat.,pos\nDogs playing!,neg\nthe dog sat,pos\nthe cat is playing,neg\n',
  });
  const ds = await open(dir);
  assert.deepEqual(ds.columns, [{ name: 'column_1', role: 'text' }, { name: 'column_2', role: 'label' }]);
  assert.equal(ds.splits.train.size, 4);
  // The header can be forced either way.
  const forced = await open(dir, { header: true, columns: { text: 'The cat sat on the mat.', label: 'pos' } });
  assert.equal(forced.splits.train.size, 3);
});

test('TSV and text pairs: token type ids mark the second text', async () => {
  const dir = writeFiles(tmpDir(), {
    'train.tsv': 'premise\thypothesis\tlabel\nthe cat\tsat on a mat\tentailment\nthe dog\ta cat\tcontradiction\n',
  });
  const ds = await openDataset({ train: 'train.tsv', tokenizer: WORDPIECE }, { baseDir: dir, inputs: TEXT_INPUTS, task: 'classification' });
  assert.deepEqual(ds.columns.map((c) => c.role), ['text', 'text_pair', 'label']);
  const b = await firstBatch(ds as any);
  assert.deepEqual(nums(b.inputs.input_ids).slice(0, 16), pad([2, 5, 6, 3, 7, 8, 18, 9, 3]));
  assert.deepEqual(nums(b.inputs.token_type_ids).slice(0, 16), pad([0, 0, 0, 0, 1, 1, 1, 1, 1]));
  assert.deepEqual(ds.labels, ['contradiction', 'entailment']);
});

test('column overrides pick the columns; a wrong column name lists the real ones', async () => {
  const dir = writeFiles(tmpDir(), { 'train.csv': 'id,review,stars\n1,the cat sat,5\n2,the dog sat,1\n3,a mat,5\n' });
  const ds = await open(dir, { columns: { text: 'review', label: 'stars' } });
  assert.deepEqual(ds.columns, [{ name: 'id', role: 'ignore' }, { name: 'review', role: 'text' }, { name: 'stars', role: 'label' }]);
  assert.deepEqual(ds.labels, ['0', '1', '2', '3', '4', '5']); // integer labels are output indices
  await assert.rejects(open(dir, { columns: { text: 'body' } }), /train\.csv: no column 'body' \(columns: id, review, stars\)/);
});

test('bad rows name file and line; skipBadRows counts them instead', async () => {
  const bad = Buffer.concat([
    Buffer.from('text,label\nthe cat,pos\n"two\nlines",neg\nragged\n,pos\nthe dog,\n'),
    Buffer.from([0x63, 0x61, 0x74, 0xff, 0x2c, 0x70, 0x6f, 0x73, 0x0a]), // "cat\xff,pos": invalid UTF-8
    Buffer.from('the mat,neg\n'),
  ]);
  const dir = writeFiles(tmpDir(), { 'train.csv': bad });
  await assert.rejects(open(dir), (e: Error) => {
    assert.equal(e.name, 'DataError');
    assert.match(e.message, /train\.csv:5: ragged row: expected 2 fields, found 1$/);
    return true;
  });
  const ds = await open(dir, { skipBadRows: true });
  assert.equal(ds.skipped, 4);
  assert.deepEqual(ds.skippedRows.map((r) => [r.line, r.reason]), [
    [5, 'ragged row: expected 2 fields, found 1'],
    [6, "empty text in column 'text'"],
    [7, "missing label in column 'label'"],
    [8, 'invalid UTF-8'],
  ]);
  assert.equal(ds.splits.train.size, 3);
});

test('an unclosed quote is an error at the line where the field starts', async () => {
  const dir = writeFiles(tmpDir(), { 'train.csv': 'text,label\nthe cat,pos\n"the dog,neg\nthe mat,pos\n' });
  await assert.rejects(open(dir, { skipBadRows: true }), /train\.csv:3: Quote Not Closed/);
});

test('labels unknown to the training data are rejected in eval files', async () => {
  const dir = writeFiles(tmpDir(), {
    'train.csv': 'text,label\nthe cat,pos\nthe dog,neg\n',
    'eval.csv': 'text,label\nthe mat,pos\na cat,maybe\n',
  });
  await assert.rejects(open(dir, { eval: 'eval.csv' }), /eval\.csv:3: unknown label 'maybe' \(known labels: neg, pos\)/);
  // A fixed label list (labels.json of an earlier run) fixes the ids, whatever order the file shows them in.
  const ds = await open(dir, { labels: ['pos', 'neg'] });
  assert.deepEqual(nums((await firstBatch(ds)).labels), [0, 1]);
});

test('an eval file lacking a column the model needs is refused', async () => {
  const dir = writeFiles(tmpDir(), { 'train.csv': 'text,label\nthe cat,pos\nthe dog,neg\n', 'eval.csv': 'text\nthe mat\n' });
  await assert.rejects(open(dir, { eval: 'eval.csv' }), /eval\.csv: no column 'label' \(columns: text\)/);
});

test('without a tokenizer the error says what to do', async () => {
  const dir = writeFiles(tmpDir(), { 'train.csv': 'text,label\nthe cat,pos\nthe dog,neg\n' });
  await assert.rejects(
    openDataset({ train: 'train.csv' }, { baseDir: dir, modelPath: 'model.onnx', inputs: TEXT_INPUTS, task: 'classification' }),
    /tokenizer\.json: no tokenizer: the model takes text \(input_ids\), so it needs its tokenizer\.json/,
  );
});
