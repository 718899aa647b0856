import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runExperiment } from '../../src/core/experiment/run.js';
import { parseExperiment } from '../../src/core/experiment/spec.js';
import { readMetrics, readRunState } from '../../src/core/experiment/run-dir.js';
import { listCheckpoints } from '../../src/core/checkpoints/checkpoint.js';
import { FIXTURES, manifest, stepLosses } from '../helpers/fixtures.js';

const encoder = manifest().find((m) => m.model === 'encoder')!;
const scenario = encoder.scenarios.find((s) => s.id === 'adamw-full-sched-clip')!;

function spec(output: string, extra: Record<string, unknown> = {}) {
  return parseExperiment({
    model: 'encoder.ts.onnx',
    task: 'classification',
    data: { train: 'encoder.train.jsonl', eval: 'encoder.eval.jsonl' },
    batchSize: 8, steps: 12, shuffle: false, threads: 1,
    optimizer: scenario.optimizer,
    output,
    ...extra,
  });
}


test('a run writes metrics.jsonl whose per-step losses are PyTorch\'s', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-run-'));
  const events: string[] = [];
  const summary = await runExperiment(spec(out), { baseDir: FIXTURES, onEvent: (e) => events.push(e.type) });
  const losses = stepLosses(summary.runDir);
  assert.equal(losses.length, 12);
  losses.forEach((l, s) => assert.ok(Math.abs(l - scenario.fp32.losses[s]) / scenario.fp32.losses[s] < 1e-4, `step ${s}: ${l} vs ${scenario.fp32.losses[s]}`));
  const evals = readMetrics(summary.runDir).filter((r) => r.split === 'validation');
  assert.equal(evals.length, 2);
  assert.ok(Math.abs((evals[0].loss as number) - scenario.fp32.evalLossBefore) < 1e-4 * scenario.fp32.evalLossBefore);
  assert.ok(Math.abs((evals[1].loss as number) - scenario.fp32.evalLossAfter) < 1e-4 * scenario.fp32.evalLossAfter);
  assert.equal(summary.status, 'completed');
  assert.equal(readRunState(summary.runDir)?.status, 'completed');
  assert.ok(fs.existsSync(path.join(summary.runDir, 'model.onnx')));
  assert.deepEqual([events[0], events.at(-1)], ['start', 'done']);
});

test('6 steps + resume + 6 steps is the same trajectory as 12 steps', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-resume-'));
  const s = spec(out, { shuffle: true, seed: 7, steps: 12 });
  const whole = await runExperiment(s, { baseDir: FIXTURES });
  const half = await runExperiment(s, { baseDir: FIXTURES, stopAfter: 6 });
  assert.equal(half.status, 'stopped');
  assert.deepEqual((await listCheckpoints(half.runDir)).map((c) => c.step), [6]);
  const resumed = await runExperiment(s, { baseDir: FIXTURES, resume: half.runDir });
  assert.equal(resumed.status, 'completed');
  const a = stepLosses(whole.runDir), b = stepLosses(half.runDir);
  assert.equal(b.length, 12);
  a.forEach((l, i) => assert.ok(Math.abs(l - b[i]) <= 1e-6 * Math.abs(l), `step ${i + 1}: ${l} vs ${b[i]}`));
});

test('an aborted run stops after the current step with a checkpoint', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-abort-'));
  const controller = new AbortController();
  const summary = await runExperiment(spec(out), {
    baseDir: FIXTURES, signal: controller.signal,
    onEvent: (e) => { if (e.type === 'step' && e.metric.step === 3) controller.abort(); },
  });
  assert.equal(summary.status, 'stopped');
  assert.equal(summary.steps, 3);
  assert.equal(readRunState(summary.runDir)?.status, 'stopped');
  assert.deepEqual((await listCheckpoints(summary.runDir)).map((c) => c.step), [3]);
});

test('invalid experiment files get one message naming every bad field', () => {
  assert.throws(() => parseExperiment({ model: 'm.onnx', data: { train: 'a.csv' }, batchSize: 0, optimizer: { name: 'adam', lr: -1 }, learningRate: 3 }, 'x.json'),
    (e: Error) => {
      for (const s of ['x.json', 'batchSize must be >= 1', 'optimizer.name must be one of "sgd", "adamw"', 'optimizer.lr must be > 0', 'learningRate is not a known field']) {
        assert.ok(e.message.includes(s), `missing '${s}' in:\n${e.message}`);
      }
      return true;
    });
  assert.throws(() => parseExperiment({ data: { train: 'a.csv' } }), /must have required property 'model'/);
});
