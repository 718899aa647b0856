import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runExperiment } from '../../src/core/experiment/run.js';
import { parseExperiment } from '../../src/core/experiment/spec.js';
import { readMetrics } from '../../src/core/experiment/run-dir.js';
import { listCheckpoints } from '../../src/core/checkpoints/checkpoint.js';
import type { GroupSpec } from '../../src/core/session.js';
import type { Task } from '../../src/core/training-graph.js';
import { assertClose, checkTrajectory, FIXTURES, type Scenario } from '../helpers/fixtures.js';

/**
 * PyTorch references (test/fixtures/references.json, made by test/fixtures/generate/extend.py) for what the
 * trajectory fixtures do not cover: the MSE head, per-group learning rate / weight decay, gradient accumulation in
 * torch's loss/accum form, and resume. Same 2e-6 relative bar.
 */
interface Reference extends Omit<Scenario, 'frozenOnnx'> {
  data: string; model: string; task: Task; batchSize: number; steps: number; groups?: GroupSpec[]; gradientAccumulation?: number;
}
const references: Reference[] = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'references.json'), 'utf8')).references;

test('references.json holds every reference', () => {
  assert.deepEqual(references.map((r) => r.id), ['mse-regression-sgd', 'groups-sgd', 'groups-adamw', 'accumulation-sgd', 'resume-adamw']);
});

for (const ref of references.filter((r) => !r.id.startsWith('resume'))) {
  test(`${ref.id}: per-step loss matches PyTorch`, () => checkTrajectory({
    model: path.join(FIXTURES, ref.model), task: ref.task, freeze: [], scenario: ref, steps: ref.steps,
    // the engine feeds one micro-batch per trainStep
    batchSize: ref.batchSize / (ref.gradientAccumulation ?? 1), gradientAccumulation: ref.gradientAccumulation,
    groups: ref.groups, dataDir: FIXTURES, name: ref.data,
  }));
}

test('resume: 6 steps + resume from the checkpoint + 6 steps is PyTorch\'s uninterrupted 12-step run', async () => {
  const ref = references.find((r) => r.id === 'resume-adamw')!;
  const spec = parseExperiment({
    model: ref.model, task: ref.task, data: { train: `${ref.data}.train.jsonl`, eval: `${ref.data}.eval.jsonl` },
    batchSize: ref.batchSize, steps: ref.steps, shuffle: false, threads: 1, optimizer: ref.optimizer,
    output: fs.mkdtempSync(path.join(os.tmpdir(), 'ft-ref-resume-')),
  });
  const half = await runExperiment(spec, { baseDir: FIXTURES, stopAfter: 6 });
  assert.equal(half.status, 'stopped');
  assert.deepEqual((await listCheckpoints(half.runDir)).map((c) => c.step), [6]);
  assert.equal((await runExperiment(spec, { baseDir: FIXTURES, resume: half.runDir })).status, 'completed');
  const rows = readMetrics(half.runDir);
  const steps = rows.filter((r) => r.split === undefined);
  assert.deepEqual(steps.map((r) => r.step), Array.from({ length: 12 }, (_, i) => i + 1));
  steps.forEach((r, s) => {
    assertClose(r.loss as number, ref.fp32.losses[s], `step ${s + 1} loss`);
    assertClose(r.lr as number || 1e-30, ref.lrs[s] || 1e-30, `step ${s + 1} lr`);
  });
  const evals = rows.filter((r) => r.split !== undefined);
  assertClose(evals.at(-1)!.loss as number, ref.fp32.evalLossAfter, 'eval loss after');
});
