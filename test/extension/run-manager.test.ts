import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunEvent } from '../../src/core/experiment/events.js';
import { readRunState, writeRunState, type RunState } from '../../src/core/experiment/run-dir.js';
import { RunManager, type ChildHandle, type ChildHandlers, type ManagedRun, type StartRequest } from '../../src/extension/runs/run-manager.js';

/** A launcher whose children the test drives by hand. */
function fakeLauncher() {
  const children: { req: StartRequest; h: ChildHandlers; exit(code: number): void; stops: number; kills: number }[] = [];
  const launch = (req: StartRequest, h: ChildHandlers): ChildHandle => {
    let exit!: (code: number) => void;
    const exited = new Promise<number>((r) => (exit = r));
    const c = { req, h, exit, stops: 0, kills: 0 };
    children.push(c);
    return { pid: 1000 + children.length, exited, stop: () => c.stops++, kill: () => c.kills++ };
  };
  return { children, launch };
}

const until = async (cond: () => boolean, what: string) => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), `timed out waiting for ${what}`);
};

function runDir(state?: Partial<RunState>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-rm-'));
  if (state) fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ status: 'running', pid: 1, startedAt: new Date().toISOString(), updatedAt: new Date().toISOString(), step: 0, totalSteps: 10, ...state }));
  return dir;
}

const start = (dir: string, totalSteps = 10, pid = 1001): RunEvent => ({ type: 'start', runDir: dir, pid, totalSteps, trainableParams: 1, totalParams: 2, frozen: [] });
const step = (n: number, loss = 1 / n): RunEvent => ({ type: 'step', metric: { step: n, loss, lr: 0.1, gradNorm: 1, seconds: 0.5, epoch: 0 } });
const done = (dir: string, status: 'completed' | 'stopped', steps: number): RunEvent =>
  ({ type: 'done', summary: { runDir: dir, status, steps, totalSteps: 10, trainableParams: 1, totalParams: 2, secondsPerStep: 0.5, before: [], after: [] } });

test('one run trains at a time by default; the next queued one starts when it ends', async () => {
  const { children, launch } = fakeLauncher();
  const m = new RunManager(launch, { maxConcurrent: () => 1 });
  const a = m.enqueue({ experimentFile: 'a.json', label: 'a' });
  const b = m.enqueue({ experimentFile: 'b.json', label: 'b' });
  assert.equal(a.status, 'starting');
  assert.equal(b.status, 'queued');
  assert.equal(children.length, 1);
  const dir = runDir();
  children[0].h.onEvent(start(dir));
  children[0].h.onEvent(step(1, 0.7));
  assert.equal(a.status, 'running');
  assert.equal(a.runDir, dir);
  assert.equal(a.loss, 0.7);
  children[0].h.onEvent(done(dir, 'completed', 10));
  children[0].exit(0);
  await until(() => children.length === 2, 'the queued run to start');
  assert.equal(a.status, 'completed');
  assert.equal(b.status, 'starting');
});

test('maxConcurrent runs train side by side; stopping a queued run removes it from the queue', async () => {
  const { children, launch } = fakeLauncher();
  const m = new RunManager(launch, { maxConcurrent: () => 2 });
  m.enqueue({ experimentFile: 'a.json', label: 'a' });
  m.enqueue({ experimentFile: 'b.json', label: 'b' });
  const c = m.enqueue({ experimentFile: 'c.json', label: 'c' });
  assert.equal(children.length, 2);
  m.stop(c);
  assert.equal(c.status, 'stopped');
  children[0].exit(1);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(children.length, 2, 'a cancelled run never starts');
});

test('stop asks the child to checkpoint; a second stop kills it', async () => {
  const { children, launch } = fakeLauncher();
  const m = new RunManager(launch, { maxConcurrent: () => 1 });
  const a = m.enqueue({ experimentFile: 'a.json', label: 'a' });
  children[0].h.onEvent(start(runDir()));
  m.stop(a);
  assert.equal(a.status, 'stopping');
  assert.equal(children[0].stops, 1);
  m.stop(a);
  assert.equal(children[0].kills, 1);
});

test('a child that dies without finishing marks its run failed, on disk too, with its last output', async () => {
  const { children, launch } = fakeLauncher();
  const m = new RunManager(launch, { maxConcurrent: () => 1 });
  const changes: ManagedRun[] = [];
  m.onDidChange((r) => changes.push({ ...r }));
  const a = m.enqueue({ experimentFile: 'a.json', label: 'a' });
  const dir = runDir({ pid: 1001, step: 3 });
  children[0].h.onEvent(start(dir));
  children[0].h.onOutput('Killed: out of memory\n');
  children[0].exit(137);
  await until(() => a.status === 'failed', 'the failure');
  assert.match(a.error!, /was killed \(SIGKILL: out of memory[^]*Killed: out of memory/);
  const onDisk = readRunState(dir)!;
  assert.equal(onDisk.status, 'failed');
  assert.match(onDisk.error!, /SIGKILL/);
  assert.ok(changes.some((c) => c.status === 'failed'));
});

test('a user error from the child is the run\'s message', async () => {
  const { children, launch } = fakeLauncher();
  const m = new RunManager(launch, { maxConcurrent: () => 1 });
  const a = m.enqueue({ experimentFile: 'a.json', label: 'a' });
  children[0].h.onError('data.csv:7: unknown label', true);
  children[0].exit(1);
  await until(() => a.status === 'failed', 'the failure');
  assert.equal(a.error, 'data.csv:7: unknown label');
  assert.equal(a.userError, true);
});

test('a launcher that throws fails that run only', async () => {
  let calls = 0;
  const m = new RunManager(() => {
    if (calls++ === 0) throw new Error('spawn ENOMEM');
    return { pid: 1, exited: new Promise(() => {}), stop() {}, kill() {} };
  }, { maxConcurrent: () => 1 });
  const a = m.enqueue({ experimentFile: 'a.json', label: 'a' });
  const b = m.enqueue({ experimentFile: 'b.json', label: 'b' });
  assert.equal(a.status, 'failed');
  assert.match(a.error!, /spawn ENOMEM/);
  assert.equal(b.status, 'starting');
});

test('re-attached runs follow metrics.jsonl and run.json; stop signals the process; a dead process is interrupted', async () => {
  const dir = runDir({ pid: process.pid, step: 2 });
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), `${JSON.stringify({ step: 1, loss: 0.9, lr: 0.1, gradNorm: 1, seconds: 0.2, epoch: 0 })}\n`);
  const signals: string[] = [];
  const m = new RunManager(() => assert.fail('no launch'), { maxConcurrent: () => 1, pollMs: 10, signal: (pid, s) => signals.push(`${pid}:${s}`) });
  const run = m.attach(dir, readRunState(dir)!, 'exp.json');
  assert.equal(run.status, 'running');
  await until(() => run.step === 1 && run.loss === 0.9, 'the first row');
  fs.appendFileSync(path.join(dir, 'metrics.jsonl'), `${JSON.stringify({ step: 2, loss: 0.5, lr: 0.1, gradNorm: 1, seconds: 0.2, epoch: 0 })}\n{"step":3,"lo`);
  await until(() => run.step === 2, 'the appended row');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(run.step, 2, 'a torn last line is not progress');
  m.stop(run);
  assert.deepEqual(signals, [`${process.pid}:SIGTERM`]);
  await writeRunState(dir, { ...readRunState(dir)!, status: 'stopped', step: 2 });
  await until(() => run.status === 'stopped', 'the final status');
  const dead = runDir({ pid: 2 ** 22 + 12345 });
  const gone = m.attach(dead, readRunState(dead)!, 'exp.json');
  await until(() => gone.status === 'interrupted', 'a dead pid to read as interrupted');
  m.dispose();
});
