import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listCheckpoints } from '../../src/core/checkpoints/checkpoint.js';
import type { RunEvent } from '../../src/core/experiment/events.js';
import { readRunState } from '../../src/core/experiment/run-dir.js';
import { startTraining } from '../../src/worker/spawn.js';
import { metricLines, mlpJson, stepsOf, tmp } from './run-helpers.js';

function experiment(extra: Record<string, unknown> = {}): string {
  const dir = tmp('ft-child-sig-');
  const file = path.join(dir, 'exp.json');
  fs.writeFileSync(file, JSON.stringify(mlpJson(path.join(dir, 'runs'), extra)));
  return file;
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} stops the training child gracefully: the step finishes, a checkpoint, status stopped`, async () => {
    const events: RunEvent[] = [];
    const run = startTraining({ type: 'start', experimentFile: experiment({ steps: 100000 }) }, {
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'step' && e.metric.step === 3) run.child.kill(signal);
      },
      onError: (m) => assert.fail(m),
    });
    assert.equal(await run.exited, 0);
    const start = events[0], done = events.at(-1)!;
    assert.ok(start.type === 'start' && start.pid === run.child.pid, 'start names the training process');
    assert.ok(done.type === 'done' && done.summary.status === 'stopped');
    const state = readRunState(start.runDir)!;
    assert.equal(state.status, 'stopped');
    assert.equal(state.pid, run.child.pid);
    assert.deepEqual((await listCheckpoints(start.runDir)).map((c) => c.step), [state.step]);
    assert.equal(stepsOf(metricLines(start.runDir)).at(-1), state.step);
  });
}

test('the child passes resumeFrom through', async () => {
  const file = experiment({ steps: 6, checkpointEvery: 2 });
  const first: RunEvent[] = [];
  assert.equal(await startTraining({ type: 'start', experimentFile: file }, { onEvent: (e) => first.push(e), onError: (m) => assert.fail(m) }).exited, 0);
  const runDir = (first[0] as { runDir: string }).runDir;
  const events: RunEvent[] = [];
  const run = startTraining({ type: 'start', experimentFile: file, resumeFrom: path.join(runDir, 'checkpoints', 'step-000004') },
    { onEvent: (e) => events.push(e), onError: (m) => assert.fail(m) });
  assert.equal(await run.exited, 0);
  const start = events[0];
  assert.ok(start.type === 'start' && start.runDir === `${runDir}-from-step-4` && start.resumedFrom === 4);
});
