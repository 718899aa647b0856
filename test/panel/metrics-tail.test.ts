// Following metrics.jsonl: only new rows, torn lines wait, truncation restarts, big files come in chunks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MetricsTail, parseMetricLines } from '../../src/extension/panel/metrics-tail.js';
import { metricLines, tmp } from './fixtures.js';

test('each read returns only the rows appended since the last; a torn last line waits for its end', async () => {
  const dir = tmp();
  const file = path.join(dir, 'metrics.jsonl');
  const t = new MetricsTail(dir);
  assert.deepEqual(await t.read(), { rows: [], restarted: false, skipped: 0, more: false }); // no file yet
  fs.writeFileSync(file, '{"step":1,"loss":0.5,"lr":0.1,"gradNorm":1,"seconds":0.2,"epoch":0}\n{"step":1,"split":"validation","loss":0.4,"accuracy":0.75,"examples":4}\n{"step":2,"lo');
  const a = await t.read();
  assert.deepEqual(a.rows, [{ step: 1, loss: 0.5, lr: 0.1, gradNorm: 1, seconds: 0.2 }, { step: 1, split: 'validation', loss: 0.4, accuracy: 0.75 }]);
  assert.deepEqual((await t.read()).rows, []);
  fs.appendFileSync(file, 'ss":0.25}\n');
  assert.deepEqual((await t.read()).rows, [{ step: 2, loss: 0.25 }]);
  // A resume truncates the file to the checkpoint: the tail starts over and says so.
  fs.writeFileSync(file, '{"step":1,"loss":0.5}\n');
  const r = await t.read();
  assert.equal(r.restarted, true);
  assert.deepEqual(r.rows, [{ step: 1, loss: 0.5 }]);
});

test('bad lines are counted and skipped; a large file comes in several reads that add up', async () => {
  assert.deepEqual(parseMetricLines('{"step":1}\nnot json\n[1]\n{"loss":2}\n{"step":2,"loss":null}\n'), { rows: [{ step: 1 }, { step: 2 }], skipped: 3 });
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), metricLines(20_000, { evalEvery: 100 }));
  const t = new MetricsTail(dir);
  let rows = 0, reads = 0, more = true;
  while (more) {
    const r = await t.read();
    rows += r.rows.length;
    reads++;
    more = r.more;
  }
  assert.equal(rows, 20_000 + 200);
  assert.ok(reads > 1, `${reads} reads`);
});
