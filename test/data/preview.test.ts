// previewDataset and `finetune preview`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { previewDataset } from '../../src/core/data/index.js';
import { runPreview } from '../../src/cli/preview.js';
import { writeParquet } from './parquet-writer.js';
import { FIXTURES, tmpDir, writeFiles } from './helpers.js';

const long = 'the cat sat on the mat '.repeat(20);

test('CSV preview: roles, truncated cells, exact count, label distribution, bad rows, split sizes', async () => {
  const dir = writeFiles(tmpDir(), {
    'reviews.csv': `id,review,sentiment\n1,"${long}",pos\n2,fine,neg\n3,"ok, I guess",pos\n4\n5,,neg\n6,great,pos\n`,
  });
  const p = await previewDataset('reviews.csv', { baseDir: dir, limit: 2, split: { validation: 0.25 } });
  assert.equal(p.format, 'csv');
  assert.deepEqual(p.columns, [{ name: 'id', role: 'feature' }, { name: 'review', role: 'text' }, { name: 'sentiment', role: 'label' }]);
  assert.equal(p.rows.length, 2);
  assert.equal((p.rows[0].review as string).length, 200);
  assert.ok((p.rows[0].review as string).endsWith('…'));
  assert.deepEqual(p.rows[1], { id: '2', review: 'fine', sentiment: 'neg' });
  assert.equal(p.rowCount, 6);
  assert.equal(p.rowCountExact, true);
  assert.deepEqual(p.labelDistribution, { pos: 3, neg: 1 });
  assert.deepEqual(p.badRows, [
    { line: 5, reason: 'ragged row: expected 3 fields, found 1' },
    { line: 6, reason: "empty text in column 'review'" },
  ]);
  assert.equal(p.badRowUnit, 'line');
  assert.deepEqual(p.splits, { train: 4, validation: 2 });
});

test('a large file is previewed from its first rows: estimated count, early stop', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'big.csv');
  const row = (i: number) => `${i},the cat number ${i % 1000} sat on the mat,${['a', 'b', 'c', 'd'][i % 4]}\n`;
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, 'id,text,label\n');
  let rows = 0;
  for (let chunk = 0; chunk < 50; chunk++) {
    let s = '';
    for (let k = 0; k < 10_000; k++) s += row(rows++);
    fs.writeSync(fd, s);
  }
  fs.closeSync(fd);
  assert.ok(fs.statSync(file).size > 16 * 1024 * 1024);
  const t0 = Date.now();
  const p = await previewDataset(file, { limit: 5 });
  assert.ok(Date.now() - t0 < 3000, 'reads only the beginning');
  assert.equal(p.rowCountExact, false);
  assert.ok(Math.abs(p.rowCount - rows) / rows < 0.05, `estimate ${p.rowCount} vs ${rows}`);
  assert.deepEqual(Object.keys(p.labelDistribution).sort(), ['a', 'b', 'c', 'd']);
  assert.equal(p.rows.length, 5);
});

test('image folder preview: thumbnails as small data URIs, undecodable images listed', async () => {
  const img = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#3060c0' } }).png().toBuffer();
  const dir = writeFiles(tmpDir(), { 'pets/cat/a.png': img, 'pets/dog/b.png': img, 'pets/dog/c.jpg': 'garbage' });
  const p = await previewDataset(path.join(dir, 'pets'));
  assert.equal(p.format, 'image-folder');
  assert.deepEqual(p.columns, [{ name: 'image', role: 'image' }, { name: 'label', role: 'label' }]);
  assert.equal(p.rowCount, 3);
  assert.match(p.rows[0].image as string, /^data:image\/jpeg;base64,/);
  assert.ok((p.rows[0].image as string).length < 4000);
  const thumb = await sharp(Buffer.from((p.rows[0].image as string).split(',')[1], 'base64')).metadata();
  assert.deepEqual([thumb.width, thumb.height], [64, 43]);
  assert.deepEqual(p.labelDistribution, { cat: 1, dog: 2 });
  assert.equal(p.badRows.length, 1);
  assert.equal(p.badRowUnit, 'row');
  assert.match(p.badRows[0].reason, /^dog\/c\.jpg: cannot decode image/);
});

test('Parquet and pre-tokenized JSONL previews', async () => {
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, 't.parquet'), writeParquet([
    { name: 'text', type: 'string', values: ['a long enough sentence about cats', 'another sentence about a dog', 'the mat'] },
    { name: 'label', type: 'int64', values: [0, 1, 0] },
  ], 2));
  const pq = await previewDataset(path.join(dir, 't.parquet'));
  assert.deepEqual([pq.format, pq.rowCount, pq.rowCountExact], ['parquet', 3, true]);
  assert.deepEqual(pq.labelDistribution, { 0: 2, 1: 1 });
  assert.deepEqual(pq.rows[2], { text: 'the mat', label: 0 });

  const enc = await previewDataset(path.join(FIXTURES, 'encoder.train.jsonl'), { limit: 1 });
  assert.deepEqual(enc.columns, [{ name: 'input_ids', role: 'input' }, { name: 'attention_mask', role: 'input' }, { name: 'label', role: 'label' }]);
  assert.equal(enc.rowCount, 96);
  assert.match(enc.rows[0].input_ids as string, /^\[1, 233, 205, 211, 345, 0, 0, 0, …\] \(16\)$/);
  assert.equal(Object.values(enc.labelDistribution).reduce((a, b) => a + b), 96);
});

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: { write: (s: string) => out.push(s) }, err: { write: (s: string) => err.push(s) } } };
}

test('finetune preview --json prints one JSON object; without it a table', async () => {
  const dir = writeFiles(tmpDir(), { 'd.csv': 'text,label\nthe cat sat on the mat,pos\nthe dog,neg\nbad\n' });
  const j = io();
  assert.equal(await runPreview([path.join(dir, 'd.csv'), '--json'], j.io), 0);
  const obj = JSON.parse(j.out.join(''));
  assert.deepEqual(obj.columns, [{ name: 'text', role: 'text' }, { name: 'label', role: 'label' }]);
  assert.equal(obj.rowCount, 3);
  assert.deepEqual(obj.labelDistribution, { pos: 1, neg: 1 });
  assert.deepEqual(obj.badRows, [{ line: 4, reason: 'ragged row: expected 2 fields, found 1' }]);
  assert.equal(obj.rows.length, 2);

  const t = io();
  assert.equal(await runPreview([path.join(dir, 'd.csv'), '--label', 'label'], t.io), 0);
  const text = t.out.join('');
  assert.match(text, /d\.csv: csv, 3 rows/);
  assert.match(text, /columns: text \(text\), label \(label\)/);
  assert.match(text, /1 {2}the cat sat on the mat {2}pos/);
  assert.match(text, /labels: pos 1 \(50%\), neg 1 \(50%\)/);
  assert.match(text, /line 4: ragged row/);
});

test('finetune preview: a bad file exits 1 with the message on stderr', async () => {
  const dir = writeFiles(tmpDir(), { 'broken.json': '[{"text": "a"},', 'quote.csv': 'text,label\n"never closed,pos\n' });
  for (const [file, message] of [
    ['broken.json', /broken\.json: invalid JSON/],
    ['quote.csv', /quote\.csv:2: Quote Not Closed/],
    ['missing.csv', /missing\.csv: no such file or folder/],
  ] as const) {
    const r = io();
    assert.equal(await runPreview([path.join(dir, file), '--json'], r.io), 1, file);
    assert.equal(r.out.join(''), '');
    assert.match(r.err.join(''), message);
  }
  const usage = io();
  assert.equal(await runPreview([], usage.io), 2);
  assert.match(usage.err.join(''), /usage: finetune preview/);
});
