import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDataset } from '../../src/core/data/index.js';
import { collect, FIXTURES, MODEL_INPUTS, tmpDir, writeFiles } from './helpers.js';

const rowsOf = (name: string) =>
  fs.readFileSync(path.join(FIXTURES, name), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

test('encoder fixture: input_ids/attention_mask load as int64 [B,16], in file order', async () => {
  const ds = await openDataset({ train: 'encoder.train.jsonl' }, { baseDir: FIXTURES, inputs: MODEL_INPUTS.encoder, task: 'classification' });
  const rows = rowsOf('encoder.train.jsonl');
  assert.equal(ds.splits.train.size, 96);
  assert.deepEqual(ds.labels, ['0', '1', '2']);
  const batches = await collect(ds.splits.train.batches(8, { shuffle: false, seed: 0, epoch: 0 }));
  assert.equal(batches.length, 12);
  const b = batches[1];
  assert.equal(b.size, 8);
  assert.equal(b.inputs.input_ids.type, 'int64');
  assert.deepEqual(b.inputs.input_ids.dims, [8, 16]);
  assert.deepEqual(b.inputs.attention_mask.dims, [8, 16]);
  assert.deepEqual(Array.from(b.inputs.input_ids.data as BigInt64Array, Number), rows.slice(8, 16).flatMap((r) => r.input_ids));
  assert.deepEqual(Array.from(b.inputs.attention_mask.data as BigInt64Array, Number), rows.slice(8, 16).flatMap((r) => r.attention_mask));
  assert.equal(b.labels.type, 'int64');
  assert.deepEqual(Array.from(b.labels.data as BigInt64Array, Number), rows.slice(8, 16).map((r) => r.label));
});

test('mlp fixture: features load as float32 [B,12]', async () => {
  const ds = await openDataset({ train: 'mlp.train.jsonl', eval: 'mlp.eval.jsonl' }, { baseDir: FIXTURES, inputs: MODEL_INPUTS.mlp, task: 'classification' });
  const rows = rowsOf('mlp.train.jsonl');
  const [b] = await collect(ds.splits.train.batches(8, { shuffle: false, seed: 0, epoch: 0 }));
  assert.equal(b.inputs.features.type, 'float32');
  assert.deepEqual(b.inputs.features.dims, [8, 12]);
  assert.deepEqual(b.inputs.features.data, Float32Array.from(rows.slice(0, 8).flatMap((r) => r.features)));
  assert.equal(ds.splits.validation!.size, 64);
});

test('cnnbn fixture: pixel_values load as float32 [B,1,12,12]', async () => {
  const ds = await openDataset({ train: 'cnnbn.train.jsonl' }, { baseDir: FIXTURES, inputs: MODEL_INPUTS.cnnbn, task: 'classification' });
  const rows = rowsOf('cnnbn.train.jsonl');
  const batches = await collect(ds.splits.train.batches(8, { shuffle: false, seed: 0, epoch: 0 }));
  const b = batches[11];
  assert.deepEqual(b.inputs.pixel_values.dims, [8, 1, 12, 12]);
  assert.deepEqual(b.inputs.pixel_values.data, Float32Array.from(rows.slice(88, 96).flatMap((r) => r.pixel_values.flat(2))));
  assert.deepEqual(Array.from(b.labels.data as BigInt64Array, Number), rows.slice(88, 96).map((r) => r.label));
});

test('pre-tokenized rows of the wrong shape name the file and line', async () => {
  const dir = tmpDir();
  writeFiles(dir, {
    'bad.jsonl': [
      JSON.stringify({ features: new Array(12).fill(0.5), label: 0 }),
      JSON.stringify({ features: new Array(11).fill(0.5), label: 1 }),
    ].join('\n'),
  });
  const ds = await openDataset({ train: 'bad.jsonl' }, { baseDir: dir, inputs: MODEL_INPUTS.mlp, task: 'classification' });
  await assert.rejects(collect(ds.splits.train.batches(2, { shuffle: false, seed: 0, epoch: 0 })), (e: Error) => {
    assert.equal(e.name, 'DataError');
    assert.match(e.message, /bad\.jsonl:2: 'features' has shape \[11\] but the model takes \[12\]/);
    return true;
  });
});

test('pre-tokenized data missing a model input is refused up front', async () => {
  const dir = tmpDir();
  writeFiles(dir, { 'ids.jsonl': JSON.stringify({ input_ids: new Array(16).fill(1), label: 0 }) + '\n' });
  await assert.rejects(
    openDataset({ train: 'ids.jsonl' }, { baseDir: dir, inputs: MODEL_INPUTS.encoder, task: 'classification' }),
    /lacks model input 'attention_mask'/,
  );
});
