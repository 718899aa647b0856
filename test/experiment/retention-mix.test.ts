import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDataset } from '../../src/core/data/index.js';
import { MixedSource } from '../../src/core/data/mix.js';
import type { RowsSource } from '../../src/core/data/batches.js';
import type { RunEvent } from '../../src/core/experiment/events.js';
import { runExperiment } from '../../src/core/experiment/run.js';
import { parseExperiment } from '../../src/core/experiment/spec.js';
import { FIXTURES, stepLosses } from '../helpers/fixtures.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ft-mix-'));

/** A CSV whose first feature identifies the row. */
async function source(dir: string, name: string, ids: number[]): Promise<RowsSource> {
  fs.writeFileSync(path.join(dir, name), `x,y,label\n${ids.map((i) => `${i},0,${i % 2 ? 'b' : 'a'}`).join('\n')}\n`);
  const d = await openDataset({ train: name, columns: { label: 'label' } }, { baseDir: dir, task: 'classification', inputs: [{ name: 'features', type: 'float32', dims: ['batch', 2] }] });
  return d.splits.train as RowsSource;
}

async function epochRows(src: MixedSource, opts: { shuffle: boolean; seed: number; epoch: number }): Promise<number[][]> {
  const out: number[][] = [];
  for await (const b of src.batches(5, { ...opts, dropLast: true })) out.push(Array.from(b.inputs.features.data as Float32Array).filter((_, i) => i % 2 === 0));
  return out;
}

test('retention mix: the share of each epoch comes from the source rows, spread evenly, each used before any repeats', async () => {
  const dir = tmp();
  const main = await source(dir, 'main.csv', Array.from({ length: 20 }, (_, i) => i));
  const extra = await source(dir, 'extra.csv', Array.from({ length: 10 }, (_, i) => 1000 + i));
  const mixed = new MixedSource(main, extra, 0.2);
  assert.equal(mixed.size, 25);
  for (const shuffle of [false, true]) {
    const seen: number[] = [];
    for (let epoch = 0; epoch < 2; epoch++) {
      const batches = await epochRows(mixed, { shuffle, seed: 3, epoch });
      assert.equal(batches.length, 5);
      for (const b of batches) assert.deepEqual(b.map((x) => x >= 1000), [false, false, false, false, true]);
      const rows = batches.flat();
      assert.deepEqual(rows.filter((x) => x < 1000).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
      seen.push(...rows.filter((x) => x >= 1000));
      assert.deepEqual(await epochRows(mixed, { shuffle, seed: 3, epoch }), batches); // a function of (seed, epoch)
    }
    assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => 1000 + i));
    if (!shuffle) assert.deepEqual(seen, Array.from({ length: 10 }, (_, i) => 1000 + i)); // file order, continued
    else assert.notDeepEqual((await epochRows(mixed, { shuffle, seed: 4, epoch: 0 })).flat(), (await epochRows(mixed, { shuffle, seed: 3, epoch: 0 })).flat());
  }
});

function spec(output: string, retention?: object) {
  return parseExperiment({
    model: 'encoder.ts.onnx', task: 'classification', data: { train: 'encoder.train.jsonl' }, retention,
    batchSize: 8, steps: 6, shuffle: true, seed: 5, threads: 1, optimizer: { name: 'adamw', lr: 3e-3 }, output,
  });
}

test('a run with retention.mix trains on the mixed rows and resumes on the same ones', async () => {
  const retention = { name: 'source', data: 'encoder.eval.jsonl', mix: 0.25 };
  const events: RunEvent[] = [];
  const whole = await runExperiment(spec(tmp(), retention), { baseDir: FIXTURES, onEvent: (e) => events.push(e) });
  assert.ok(events.some((e) => e.type === 'log' && e.message.startsWith('mixing 32 rows of ') && e.message.endsWith('into each epoch of 96 training rows (25%)')));
  assert.ok(events.some((e) => e.type === 'log' && e.level === 'warn' && e.message.includes('retention.train')));
  const plain = stepLosses((await runExperiment(spec(tmp(), { name: 'source', data: 'encoder.eval.jsonl' }), { baseDir: FIXTURES })).runDir);
  const mixed = stepLosses(whole.runDir);
  assert.notDeepEqual(mixed, plain);
  const half = await runExperiment(spec(tmp(), retention), { baseDir: FIXTURES, stopAfter: 3 });
  await runExperiment(spec(tmp(), retention), { baseDir: FIXTURES, resume: half.runDir });
  assert.deepEqual(stepLosses(half.runDir), mixed);
});
