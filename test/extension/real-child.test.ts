// The run manager over real training children (the compiled src/worker/child.js): crash isolation and runs that
// outlive their host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readRunState, pidAlive } from '../../src/core/experiment/run-dir.js';
import { RunManager, type Launcher } from '../../src/extension/runs/run-manager.js';
import { startTraining } from '../../src/worker/spawn.js';
import { FIXTURES } from '../helpers/fixtures.js';

function experiment(extra: Record<string, unknown> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-real-'));
  const file = path.join(dir, 'exp.json');
  fs.writeFileSync(file, JSON.stringify({
    model: path.join(FIXTURES, 'mlp.ts.onnx'), data: { train: path.join(FIXTURES, 'mlp.train.jsonl') },
    batchSize: 4, steps: 6, threads: 1, checkpointEvery: 2, optimizer: { name: 'sgd', lr: 0.1 }, output: path.join(dir, 'runs'), ...extra,
  }));
  return file;
}

const launcher = (detached = false): Launcher => (req, h) => {
  const t = startTraining({ type: 'start', experimentFile: req.experimentFile, resume: req.resume, resumeFrom: req.resumeFrom },
    { onEvent: h.onEvent, onError: h.onError, onStderr: h.onOutput }, { detached });
  return { pid: t.child.pid, exited: t.exited, stop: t.stop, kill: () => t.child.kill('SIGKILL') };
};

const until = async (cond: () => boolean, what: string, ms = 60_000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.ok(cond(), `timed out waiting for ${what}`);
};

test('a killed child fails its run with a message and run.json says so; the next queued run still trains', async () => {
  const m = new RunManager(launcher(), { maxConcurrent: () => 1 });
  const a = m.enqueue({ experimentFile: experiment({ steps: 100000, checkpointEvery: 1000 }), label: 'a' });
  const b = m.enqueue({ experimentFile: experiment(), label: 'b' });
  await until(() => a.step >= 2, 'run a to train');
  process.kill(a.pid!, 'SIGKILL');
  await until(() => a.status === 'failed', 'run a to fail');
  assert.match(a.error!, /was killed \(SIGKILL/);
  const state = readRunState(a.runDir!)!;
  assert.equal(state.status, 'failed');
  await until(() => b.status === 'completed', 'run b to complete');
  assert.equal(b.step, 6);
  assert.equal(readRunState(b.runDir!)!.status, 'completed');
});

test('a detached child outlives its host: it keeps training and a new manager re-attaches to it', async () => {
  const file = experiment({ steps: 400, checkpointEvery: 100 });
  let runDir: string | undefined;
  const t = startTraining({ type: 'start', experimentFile: file }, { onEvent: (e) => { if (e.type === "start") runDir = e.runDir; }, onError: (msg) => assert.fail(msg) }, { detached: true });
  await until(() => runDir !== undefined && fs.existsSync(path.join(runDir, 'run.json')), 'the run to start');
  t.child.disconnect(); // the host goes away (a window reload)
  t.child.stdout?.destroy();
  t.child.stderr?.destroy();
  const pid = t.child.pid!;
  const state = readRunState(runDir!)!;
  assert.equal(state.status, 'running');
  const m = new RunManager(() => assert.fail('no launch'), { maxConcurrent: () => 1, pollMs: 20 });
  const run = m.attach(runDir!, state, file);
  await until(() => run.status !== 'running', 'the detached run to finish');
  assert.equal(run.status, 'completed', `the detached run ended ${run.status}: ${run.error ?? ''}`);
  assert.equal(readRunState(runDir!)!.step, 400);
  assert.ok(!pidAlive(pid) || (await t.exited) === 0);
  m.dispose();
});
