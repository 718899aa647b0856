import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listCheckpoints } from '../../src/core/checkpoints/checkpoint.js';
import type { RunEvent } from '../../src/core/experiment/events.js';
import { runExperiment } from '../../src/core/experiment/run.js';
import { readRunState } from '../../src/core/experiment/run-dir.js';
import { FIXTURES } from '../helpers/fixtures.js';
import { deadPid, failingFs, metricLines, mlpSpec, stepsOf, tmp } from './run-helpers.js';

const logs = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'log' ? [e.message] : []));

test('a batch larger than the data trains on one smaller batch, with a warning, instead of spinning', async () => {
  const out = tmp('ft-big-');
  const events: RunEvent[] = [];
  const summary = await runExperiment(mlpSpec(out, { batchSize: 5000, steps: 3 }), { baseDir: FIXTURES, onEvent: (e) => events.push(e) });
  assert.equal(summary.status, 'completed');
  assert.deepEqual(stepsOf(metricLines(summary.runDir)), [1, 2, 3]);
  assert.ok(logs(events).some((m) => /batchSize 5000 is more than the 96 training rows: using batches of 96/.test(m)), logs(events).join('\n'));
  const start = events[0];
  assert.ok(start.type === 'start' && start.pid === process.pid);
});

test('gradient accumulation that needs more rows than the data is a clear set-up error', async () => {
  const out = tmp('ft-accum-');
  await assert.rejects(runExperiment(mlpSpec(out, { batchSize: 8, gradientAccumulation: 200 }), { baseDir: FIXTURES }),
    /gradientAccumulation 200 needs at least 200 training rows; there are 96/);
  assert.deepEqual(fs.readdirSync(out), [], 'a set-up failure leaves no run folder');
});

test('resume drops rows after the checkpoint and a torn last line, so no step appears twice', async () => {
  const out = tmp('ft-dup-');
  const spec = mlpSpec(out, { checkpointEvery: 3, evalEvery: 4 });
  const whole = await runExperiment(spec, { baseDir: FIXTURES });
  const part = await runExperiment(spec, { baseDir: FIXTURES, stopAfter: 7 });
  // A process killed after step 8 whose checkpoint is at 7: rows 8 and a half-written 9 are on disk.
  const file = path.join(part.runDir, 'metrics.jsonl');
  fs.appendFileSync(file, '{"step":8,"loss":0.5,"lr":0.001,"gradNorm":1,"seconds":0.1,"epoch":0}\n{"step":8,"split":"validation","loss":0.28}\n{"step":9,"loss":0.28');
  fs.rmSync(path.join(part.runDir, 'checkpoints', 'step-000007'), { recursive: true });
  const resumed = await runExperiment(spec, { baseDir: FIXTURES, resume: part.runDir });
  assert.equal(resumed.status, 'completed');
  const rows = metricLines(part.runDir);
  assert.deepEqual(stepsOf(rows), Array.from({ length: 12 }, (_, i) => i + 1));
  // evals every 4 steps, and at each checkpoint (every 3) for its saved predictions: each step once
  assert.deepEqual(rows.filter((r) => r.split).map((r) => r.step), [0, 3, 4, 6, 8, 9, 12]);
  assert.deepEqual(fs.readFileSync(path.join(part.runDir, 'model.onnx')), fs.readFileSync(path.join(whole.runDir, 'model.onnx')), 'same model as an uninterrupted run');
});

test('stopping on an eval step writes that eval once, and a resume with nothing left to do adds no row', async () => {
  const out = tmp('ft-evalonce-');
  const spec = mlpSpec(out, { evalEvery: 3, steps: 6 });
  const part = await runExperiment(spec, { baseDir: FIXTURES, stopAfter: 3 });
  const again = await runExperiment(spec, { baseDir: FIXTURES, resume: part.runDir, stopAfter: 3 });
  assert.equal(again.status, 'stopped');
  const rows = metricLines(part.runDir);
  stepsOf(rows);
  assert.deepEqual(rows.filter((r) => r.split).map((r) => r.step), [0, 3]);
});

test('resumeFrom the latest checkpoint continues the run; from an earlier one it forks and leaves the history alone', async () => {
  const out = tmp('ft-from-');
  const spec = mlpSpec(out, { checkpointEvery: 4 });
  const whole = await runExperiment(spec, { baseDir: FIXTURES });
  const part = await runExperiment(spec, { baseDir: FIXTURES, stopAfter: 8 });
  const ckpts = await listCheckpoints(part.runDir);
  assert.deepEqual(ckpts.map((c) => c.step), [4, 8]);
  const history = fs.readFileSync(path.join(part.runDir, 'metrics.jsonl'));

  const forked = await runExperiment(spec, { baseDir: FIXTURES, resumeFrom: ckpts[0].dir });
  assert.equal(forked.runDir, `${part.runDir}-from-step-4`);
  assert.equal(forked.status, 'completed');
  assert.deepEqual(fs.readFileSync(path.join(part.runDir, 'metrics.jsonl')), history, 'the original run is untouched');
  assert.equal(readRunState(part.runDir)?.status, 'stopped');
  assert.deepEqual((await listCheckpoints(part.runDir)).map((c) => c.step), [4, 8]);
  assert.deepEqual(stepsOf(metricLines(forked.runDir)), Array.from({ length: 12 }, (_, i) => i + 1));
  assert.deepEqual(fs.readFileSync(path.join(forked.runDir, 'model.onnx')), fs.readFileSync(path.join(whole.runDir, 'model.onnx')));

  const latest = await runExperiment(spec, { baseDir: FIXTURES, resumeFrom: ckpts[1].dir });
  assert.equal(latest.runDir, part.runDir);
  assert.deepEqual(stepsOf(metricLines(part.runDir)), Array.from({ length: 12 }, (_, i) => i + 1));
  assert.deepEqual(fs.readFileSync(path.join(part.runDir, 'model.onnx')), fs.readFileSync(path.join(whole.runDir, 'model.onnx')));
  await assert.rejects(runExperiment(spec, { baseDir: FIXTURES, resumeFrom: path.join(out, 'nowhere', 'checkpoints', 'step-000001') }), /not a checkpoint of a run/);
});

test('a full disk mid-run: one error naming metrics.jsonl, run.json failed with it, resumable', async () => {
  const out = tmp('ft-full-');
  // Row 1 is the eval @0; rows 2–5 are steps 1–4; step 5's row fails.
  const io = failingFs(/metrics\.jsonl/, 'ENOSPC', 5, { partial: true });
  await assert.rejects(runExperiment(mlpSpec(out, { evalEvery: 100 }), { baseDir: FIXTURES, fs: io }), (e: Error) => {
    assert.match(e.message, /^\S+metrics\.jsonl: injected \(ENOSPC\)$/);
    return true;
  });
  const [run] = fs.readdirSync(out).map((d) => path.join(out, d));
  const state = readRunState(run)!;
  assert.equal(state.status, 'failed');
  assert.match(state.error!, /metrics\.jsonl: injected \(ENOSPC\)/);
  assert.deepEqual(stepsOf(metricLines(run)), [1, 2, 3, 4]);
  // Step 5 trained but was never recorded, and step 4's parameters are gone: no checkpoint claims a step the
  // metrics lack, and the resume starts over.
  assert.deepEqual((await listCheckpoints(run)).map((c) => c.step), []);
  const resumed = await runExperiment(mlpSpec(out, { evalEvery: 100 }), { baseDir: FIXTURES, resume: run });
  assert.equal(resumed.status, 'completed');
  assert.deepEqual(stepsOf(metricLines(run)), Array.from({ length: 12 }, (_, i) => i + 1));
});

test('permission denied on run.json at the start: one line naming it, no half run folder', async () => {
  const out = tmp('ft-eacces-');
  await assert.rejects(runExperiment(mlpSpec(out), { baseDir: FIXTURES, fs: failingFs(/run\.json/, 'EACCES') }),
    /^Error: \S+run\.json: injected \(EACCES\)$|run\.json: injected \(EACCES\)$/);
  assert.deepEqual(fs.readdirSync(out), []);
});

test('an output path under a file is one error naming it', async () => {
  const dir = tmp('ft-notdir-');
  fs.writeFileSync(path.join(dir, 'file'), 'x');
  await assert.rejects(runExperiment(mlpSpec(path.join(dir, 'file', 'runs')), { baseDir: FIXTURES }), (e: Error) => {
    assert.match(e.message, /file\/runs: not a directory \(ENOTDIR\)$/);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
});

test('a resume cleans up temporaries that a killed run left', async () => {
  const out = tmp('ft-tmp-');
  const part = await runExperiment(mlpSpec(out), { baseDir: FIXTURES, stopAfter: 4 });
  const dead = deadPid();
  const junk = path.join(part.runDir, 'checkpoints', `step-000005.tmp-${dead}-0a0b`);
  fs.mkdirSync(junk);
  fs.writeFileSync(path.join(part.runDir, `run.json.tmp-${dead}-0c0d`), '{');
  await runExperiment(mlpSpec(out), { baseDir: FIXTURES, resume: part.runDir });
  assert.ok(!fs.existsSync(junk));
  assert.deepEqual(fs.readdirSync(part.runDir).filter((n) => n.includes('.tmp-')), []);
});
