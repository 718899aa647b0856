import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunEvent } from '../../src/core/experiment/events.js';
import { startTraining } from '../../src/worker/spawn.js';
import { FIXTURES } from '../helpers/fixtures.js';

function experiment(extra: Record<string, unknown> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-child-'));
  const file = path.join(dir, 'exp.json');
  fs.writeFileSync(file, JSON.stringify({
    model: path.join(FIXTURES, 'mlp.ts.onnx'), data: { train: path.join(FIXTURES, 'mlp.train.jsonl') },
    batchSize: 8, steps: 4, threads: 1, optimizer: { name: 'sgd', lr: 0.1 }, output: path.join(dir, 'runs'), ...extra,
  }));
  return file;
}

test('the child process trains and streams events to the host', async () => {
  const events: RunEvent[] = [];
  const run = startTraining({ type: 'start', experimentFile: experiment() }, { onEvent: (e) => events.push(e), onError: (m) => assert.fail(m) });
  assert.equal(await run.exited, 0);
  assert.equal(events[0].type, 'start');
  assert.deepEqual(events.filter((e) => e.type === 'step').map((e) => (e as { metric: { step: number } }).metric.step), [1, 2, 3, 4]);
  const done = events.at(-1)!;
  assert.ok(done.type === 'done' && done.summary.status === 'completed');
});

test('stop makes the child checkpoint and exit cleanly', async () => {
  const events: RunEvent[] = [];
  const run = startTraining({ type: 'start', experimentFile: experiment({ steps: 1000 }) }, {
    onEvent: (e) => { events.push(e); if (e.type === 'step' && e.metric.step === 2) run.stop(); },
    onError: (m) => assert.fail(m),
  });
  assert.equal(await run.exited, 0);
  const done = events.at(-1)!;
  assert.ok(done.type === 'done' && done.summary.status === 'stopped' && done.summary.steps < 1000);
});

test('a bad experiment comes back as a user error, not a crash', async () => {
  const errors: string[] = [];
  const run = startTraining({ type: 'start', experimentFile: experiment({ batchSize: -1 }) }, { onEvent: () => {}, onError: (m, user) => errors.push(`${user}:${m}`) });
  assert.equal(await run.exited, 1);
  assert.match(errors[0], /^true:[^]*exp\.json: invalid experiment[^]*batchSize must be >= 1/);
});
