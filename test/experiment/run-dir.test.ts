import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  forkRun, HEARTBEAT_MS, readMetrics, readRunState, RunWriter, truncateMetrics, type RunState,
} from '../../src/core/experiment/run-dir.js';
import { removeStaleTemps } from '../../src/core/checkpoints/checkpoint.js';
import { deadPid, errno, failingFs, metricLines, tmp } from './run-helpers.js';

const fresh = (): RunState => ({ status: 'running', pid: process.pid, startedAt: new Date().toISOString(), updatedAt: '', step: 0, totalSteps: 10 });

test('run.json is a heartbeat: rewritten every HEARTBEAT_MS by an unref\'d timer that finish() clears', () => {
  mock.timers.enable({ apis: ['setInterval', 'Date'], now: 1_000_000 });
  try {
    const dir = tmp('ft-heart-');
    const w = new RunWriter(dir, fresh());
    w.start();
    assert.equal(readRunState(dir)?.updatedAt, new Date(1_000_000).toISOString());
    w.state.step = 4;
    w.state.loss = 0.5;
    mock.timers.tick(HEARTBEAT_MS);
    const beat = readRunState(dir)!;
    assert.equal(beat.status, 'running');
    assert.equal(beat.step, 4);
    assert.equal(beat.loss, 0.5);
    assert.equal(Date.parse(beat.updatedAt), 1_000_000 + HEARTBEAT_MS);
    assert.equal(w.finish('stopped'), undefined);
    const final = readRunState(dir)!;
    mock.timers.tick(3 * HEARTBEAT_MS);
    assert.deepEqual(readRunState(dir), final, 'no beat after finish');
    assert.equal(final.status, 'stopped');
    assert.equal(process.listenerCount('exit') > 0 && process.listeners('exit').some((l) => l.name === 'onExit'), false, 'exit hook removed');
  } finally {
    mock.timers.reset();
  }
});

test('finish keeps the first error, and appends a failure to write run.json to it', () => {
  const dir = tmp('ft-first-');
  const w = new RunWriter(dir, fresh());
  w.start();
  const first = new Error('cannot decode image a.png');
  assert.equal(w.finish('failed', first), first);
  assert.equal(w.finish('failed', new Error('second')), first, 'a later finish changes nothing');
  assert.equal(readRunState(dir)?.error, 'cannot decode image a.png');
  assert.equal(readRunState(dir)?.status, 'failed');

  const ro = tmp('ft-rofs-');
  const io = failingFs(/run\.json/, 'EROFS', 1);
  const w2 = new RunWriter(ro, fresh(), io);
  w2.start();
  const err = w2.finish('failed', errno('ENOSPC'))!;
  assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC', 'the first error is the one reported');
  assert.match(err.message, /ENOSPC[^]*then writing run\.json failed too: .*run\.json: .*\(EROFS\)/);
  assert.equal(readRunState(ro)?.status, 'running', 'what could be written is left: readers judge it by its pid');
});

test('a metrics row is one whole line; a partial write on a full disk is cut back off', () => {
  const dir = tmp('ft-rows-');
  const io = failingFs(/metrics\.jsonl/, 'ENOSPC', 2, { partial: true });
  const w = new RunWriter(dir, fresh(), io);
  w.appendMetric({ step: 1, loss: 0.5 });
  w.appendMetric({ step: 2, loss: 0.4 });
  assert.throws(() => w.appendMetric({ step: 3, loss: 0.3 }), (e: Error) => {
    assert.equal(e.message, `${path.join(dir, 'metrics.jsonl')}: injected (ENOSPC)`);
    return true;
  });
  assert.equal(io.failed, 1);
  assert.deepEqual(metricLines(dir).map((r) => r.step), [1, 2]);
});

test('truncateMetrics keeps rows up to the checkpoint and drops a torn last line', () => {
  const dir = tmp('ft-trunc-');
  const rows = [{ step: 0, split: 'validation', loss: 1 }, { step: 1, loss: 0.9 }, { step: 2, loss: 0.8 }, { step: 2, split: 'validation', loss: 0.7 }, { step: 3, loss: 0.6 }];
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), rows.map((r) => JSON.stringify(r) + '\n').join('') + '{"step":4,"loss":0.2');
  assert.equal(readMetrics(dir).length, 5, 'readers skip the torn line');
  truncateMetrics(dir, 2);
  assert.deepEqual(metricLines(dir), rows.slice(0, 4));
  truncateMetrics(dir, -1);
  assert.equal(fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8'), '');
  assert.deepEqual(fs.readdirSync(dir), ['metrics.jsonl'], 'no temporary file left');
});

test('readRunState is undefined for a missing, torn or foreign run.json', () => {
  const dir = tmp('ft-read-');
  assert.equal(readRunState(dir), undefined);
  fs.writeFileSync(path.join(dir, 'run.json'), '{"status":"runn');
  assert.equal(readRunState(dir), undefined);
  fs.writeFileSync(path.join(dir, 'run.json'), '[1,2]');
  assert.equal(readRunState(dir), undefined);
});

test('stale temporaries of dead processes are removed; a checkpoint caught between renames is put back', async () => {
  const dir = tmp('ft-stale-');
  const dead = deadPid();
  const ck = path.join(dir, 'checkpoints');
  for (const d of [`step-000003.tmp-${dead}-aa11`, `step-000006.old.tmp-${dead}-bb22`, `step-000006.tmp-${dead}-cc33`, `step-000009.tmp-${process.pid}-dd44`, 'step-000002']) {
    fs.mkdirSync(path.join(ck, d), { recursive: true });
  }
  fs.writeFileSync(path.join(ck, `step-000006.old.tmp-${dead}-bb22`, 'state.json'), '{"step":6}');
  fs.writeFileSync(path.join(dir, `run.json.tmp-${dead}-ee55`), '{');
  const removed = await removeStaleTemps(ck, () => false);
  assert.equal(removed.length, 3);
  assert.deepEqual(fs.readdirSync(ck).sort(), ['step-000002', 'step-000006', `step-000009.tmp-${process.pid}-dd44`]);
  assert.equal(fs.readFileSync(path.join(ck, 'step-000006', 'state.json'), 'utf8'), '{"step":6}');
  assert.deepEqual(await removeStaleTemps(dir, () => true), [], 'a live process keeps its temporaries');
  await removeStaleTemps(dir, () => false);
  assert.deepEqual(fs.readdirSync(dir), ['checkpoints']);
});

test('forkRun copies the experiment, labels, one checkpoint and the rows up to its step', () => {
  const out = tmp('ft-fork-');
  const run = path.join(out, 'r-1');
  const ckpt = path.join(run, 'checkpoints', 'step-000004');
  fs.mkdirSync(ckpt, { recursive: true });
  fs.mkdirSync(path.join(run, 'checkpoints', 'step-000008'));
  fs.writeFileSync(path.join(ckpt, 'state.json'), '{}');
  fs.writeFileSync(path.join(run, 'experiment.json'), '{"model":"m"}');
  fs.writeFileSync(path.join(run, 'labels.json'), '["a"]');
  fs.writeFileSync(path.join(run, 'metrics.jsonl'), [3, 4, 5, 8].map((s) => JSON.stringify({ step: s }) + '\n').join(''));
  const before = fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8');
  const fork = forkRun(run, { step: 4, dir: ckpt });
  assert.equal(fork, `${run}-from-step-4`);
  assert.deepEqual(fs.readdirSync(fork).sort(), ['checkpoints', 'experiment.json', 'labels.json', 'metrics.jsonl']);
  assert.deepEqual(fs.readdirSync(path.join(fork, 'checkpoints')), ['step-000004']);
  assert.deepEqual(metricLines(fork).map((r) => r.step), [3, 4]);
  assert.equal(fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8'), before, 'the original is untouched');
  assert.equal(forkRun(run, { step: 4, dir: ckpt }), `${run}-from-step-4-1`);
  assert.deepEqual(fs.readdirSync(out).sort(), ['r-1', 'r-1-from-step-4', 'r-1-from-step-4-1']);
});
