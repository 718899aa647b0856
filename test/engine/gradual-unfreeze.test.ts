import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunEvent } from '../../src/core/experiment/events.js';
import { runExperiment } from '../../src/core/experiment/run.js';
import { parseExperiment } from '../../src/core/experiment/spec.js';
import { assertRunMatches, FIXTURES, stepLosses } from '../helpers/fixtures.js';

// test/fixtures/unfreeze: PyTorch's losses for gradual-unfreezing schedules (test/fixtures/generate/gradual_unfreeze.py).
const DIR = path.join(FIXTURES, 'unfreeze');
interface Scenario {
  id: string;
  freeze: string[];
  unfreeze: { every: number; order: (string | string[])[] };
  optimizer: Record<string, unknown>;
  trainableParams: number[];
  fp32: { losses: number[]; evalLossBefore: number; evalLossAfter: number };
}
const expected = JSON.parse(fs.readFileSync(path.join(DIR, 'expected.json'), 'utf8')) as {
  model: string; batchSize: number; steps: number; train: string; eval: string; scenarios: Scenario[];
};
// fp32 torch against the fp32 engine, within assertClose's 2e-6 relative: torch's own fp32-vs-fp64 difference on these runs is ≤ 1.1e-7.

function spec(s: Scenario, output: string, extra: Record<string, unknown> = {}) {
  return parseExperiment({
    model: expected.model, task: 'classification', data: { train: expected.train, eval: expected.eval },
    batchSize: expected.batchSize, steps: expected.steps, shuffle: false, threads: 1,
    freeze: s.freeze, unfreeze: s.unfreeze, optimizer: s.optimizer, output, ...extra,
  });
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ft-unfreeze-'));

for (const s of expected.scenarios) {
  test(`gradual unfreezing ${s.id}: every step's loss is PyTorch's, one recompile per stage`, async () => {
    const events: RunEvent[] = [];
    const summary = await runExperiment(spec(s, tmp()), { baseDir: DIR, onEvent: (e) => events.push(e) });
    assertRunMatches(summary.runDir, s.fp32, expected.steps);

    const thaws = events.filter((e): e is Extract<RunEvent, { type: 'unfreeze' }> => e.type === 'unfreeze');
    assert.deepEqual(thaws.map((e) => e.step), s.unfreeze.order.map((_, i) => s.unfreeze.every * (i + 1)).filter((n) => n < expected.steps));
    // torch's trainable count at the step after each thaw
    assert.deepEqual(thaws.map((e) => e.trainableParams), thaws.map((e) => s.trainableParams[e.step]));
    assert.ok(thaws.every((e) => e.params.length > 0));
    const start = events.find((e) => e.type === 'start') as Extract<RunEvent, { type: 'start' }>;
    assert.equal(start.trainableParams, s.trainableParams[0]);
    const logs = events.filter((e) => e.type === 'log' && e.message.startsWith('unfreeze '));
    assert.equal(logs.length, thaws.length);
  });
}

test('gradual unfreezing resumes exactly, from a checkpoint mid-stage and one at a thaw', async () => {
  const s = expected.scenarios.find((x) => x.id === 'adamw-clip-linear')!;
  const whole = stepLosses((await runExperiment(spec(s, tmp()), { baseDir: DIR })).runDir);
  for (const stopAfter of [4, 6]) {
    const events: RunEvent[] = [];
    const half = await runExperiment(spec(s, tmp()), { baseDir: DIR, stopAfter });
    const resumed = await runExperiment(spec(s, tmp()), { baseDir: DIR, resume: half.runDir, onEvent: (e) => events.push(e) });
    assert.equal(resumed.status, 'completed');
    const losses = stepLosses(half.runDir);
    assert.equal(losses.length, expected.steps);
    losses.forEach((l, i) => assert.equal(l, whole[i], `stop after ${stopAfter}, step ${i + 1}: ${l} vs ${whole[i]}`));
    assert.ok(events.some((e) => e.type === 'log' && e.message === `resuming with ${Math.floor(stopAfter / 3)}/3 unfreeze stages thawed`));
    // stages thawed before the checkpoint are not thawed again
    assert.deepEqual(events.filter((e) => e.type === 'unfreeze').map((e) => (e as { step: number }).step).filter((n) => n <= stopAfter), []);
  }
});

test('an unfreeze stage that thaws nothing is an error naming it; one past the last step is a warning', async () => {
  const s = expected.scenarios[0];
  await assert.rejects(
    runExperiment(spec(s, tmp(), { unfreeze: { every: 2, order: ['encoder.layer.2.*', 'classifier.*'] } }), { baseDir: DIR }),
    /unfreeze\.order\[1\] "classifier\.\*" matches no parameter that freeze \["embeddings\.\*","encoder\.\*"\] keeps frozen/,
  );
  const events: RunEvent[] = [];
  await runExperiment(spec(s, tmp(), { steps: 3, unfreeze: { every: 2, order: ['encoder.layer.2.*', 'encoder.layer.1.*'] } }), {
    baseDir: DIR, onEvent: (e) => events.push(e),
  });
  assert.ok(events.some((e) => e.type === 'log' && e.level === 'warn' && e.message === 'unfreeze: only 1 of 2 stages thaw within 3 steps (one every 2)'));
  assert.throws(() => spec(s, tmp(), { unfreeze: { every: 0, order: [] } }), /unfreeze\.every must be >= 1[\s\S]*unfreeze\.order must NOT have fewer than 1 items/);
});
