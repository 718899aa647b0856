import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunState } from '../../src/core/experiment/run-dir.js';
import { MetricsTail } from '../../src/extension/runs/metrics-tail.js';
import type { ManagedRun } from '../../src/extension/runs/run-manager.js';
import { bestEval, listRunDirs, readExperimentFile, RunReader } from '../../src/extension/runs/workspace-runs.js';
import { buildTree, checkpointNodes, runLabel, viewOf } from '../../src/extension/tree/tree-model.js';
import { statusText } from '../../src/extension/status-bar-text.js';

const now = () => new Date().toISOString();

function makeRun(runs: string, name: string, opts: { state?: Partial<RunState> | string; metrics?: object[]; checkpoints?: number[]; experimentFile?: string } = {}): string {
  const dir = path.join(runs, `${name}-20261202-1437${String(fs.readdirSync(runs).length).padStart(2, '0')}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'experiment.json'), JSON.stringify({ name, model: '/m.onnx', experimentFile: opts.experimentFile }));
  if (opts.state !== undefined) {
    fs.writeFileSync(path.join(dir, 'run.json'), typeof opts.state === 'string' ? opts.state
      : JSON.stringify({ status: 'completed', pid: process.pid, startedAt: now(), updatedAt: now(), step: 10, totalSteps: 10, ...opts.state }));
  }
  if (opts.metrics) fs.writeFileSync(path.join(dir, 'metrics.jsonl'), opts.metrics.map((m) => JSON.stringify(m) + '\n').join(''));
  for (const s of opts.checkpoints ?? []) fs.mkdirSync(path.join(dir, 'checkpoints', `step-${String(s).padStart(6, '0')}`), { recursive: true });
  return dir;
}

const evalRow = (step: number, accuracy: number, split = 'validation') => ({ step, split, loss: 1 - accuracy, accuracy, examples: 10 });

test('experiments → runs → checkpoints, with status, best eval and context values from disk', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-tree-'));
  const runs = path.join(root, 'runs');
  fs.mkdirSync(runs);
  const expFile = path.join(root, 'digits.experiment.json');
  fs.writeFileSync(expFile, JSON.stringify({ name: 'digits', model: 'm.onnx', output: 'runs' }));
  const done = makeRun(runs, 'digits', { state: {}, metrics: [evalRow(0, 0.1), { step: 1, loss: 2, lr: 0.1, gradNorm: 1, seconds: 1, epoch: 0 }, evalRow(5, 0.9), evalRow(10, 0.8), evalRow(10, 0.99, 'retention')], checkpoints: [5, 10], experimentFile: expFile });
  const dead = makeRun(runs, 'digits', { state: { status: 'running', pid: 2 ** 22 + 4321, step: 3 }, experimentFile: expFile });
  const corrupt = makeRun(runs, 'other', { state: '{"status": "runn' });
  fs.mkdirSync(path.join(runs, 'not-a-run'));

  const exp = await readExperimentFile(expFile);
  assert.equal(exp.output, runs);
  const dirs = await listRunDirs(runs);
  assert.deepEqual(new Set(dirs), new Set([done, dead, corrupt]));
  const reader = new RunReader();
  const records = (await Promise.all(dirs.map((d) => reader.read(d)))).filter((r) => !!r);
  const tree = buildTree([exp], records, []);
  assert.deepEqual(tree.map((e) => e.name), ['digits', 'other']);
  const [digits, other] = tree;
  assert.equal(viewOf(digits).description, '2 runs · best acc 90.0%');
  const completed = digits.runs.find((r) => r.runDir === done)!;
  assert.equal(completed.status, 'completed');
  assert.equal(viewOf(completed).contextValue, 'run.completed');
  assert.equal(viewOf(completed).description, 'completed · acc 90.0%');
  const ckpts = checkpointNodes(completed);
  assert.deepEqual(ckpts.map((c) => [c.step, c.latest]), [[10, true], [5, false]]);
  assert.equal(viewOf(ckpts[0]).description, 'validation: acc 80.0% · retention: acc 99.0%');
  const interrupted = digits.runs.find((r) => r.runDir === dead)!;
  assert.equal(interrupted.status, 'interrupted', 'a running state with a dead pid is interrupted');
  assert.equal(viewOf(interrupted).contextValue, 'run.interrupted');
  assert.match(viewOf(interrupted).description!, /interrupted at step 3 · resumable/);
  const bad = other.runs[0];
  assert.equal(bad.status, 'failed');
  assert.match(viewOf(bad).description!, /run\.json not valid JSON/);

  // deleted while shown: the next read drops it, nothing throws
  fs.rmSync(done, { recursive: true });
  assert.equal(await reader.read(done), undefined);
});

test('live runs override what is on disk; queued runs show before they have a folder', () => {
  const live = (over: Partial<ManagedRun>): ManagedRun => ({ id: 1, request: { experimentFile: '/e.json', label: 'e' }, status: 'running', step: 4, totalSteps: 8, loss: 0.25, secondsPerStep: 2, log: [], attached: false, ...over });
  const runningRun = live({ runDir: '/runs/e-20261202-143700' });
  const queued = live({ id: 2, status: 'queued', runDir: undefined });
  const tree = buildTree([{ file: '/e.json', name: 'e', output: '/runs' }], [], [runningRun, queued]);
  assert.equal(tree.length, 1);
  assert.deepEqual(tree[0].runs.map((r) => r.status).sort(), ['queued', 'running']);
  const r = tree[0].runs.find((x) => x.status === 'running')!;
  assert.equal(viewOf(r).description, 'step 4/8 · loss 0.2500 · ETA 0:08');
  assert.equal(viewOf(r).label, '2026-12-02 14:37:00');
  assert.equal(statusText([runningRun, queued])!.text, '$(sync~spin) e 4/8 · loss 0.2500 · ETA 0:08');
  assert.equal(statusText([]), undefined);
  assert.equal(runLabel('/r/x-20261202-143700-from-step-40', 'x'), '2026-12-02 14:37:00 (from step 40)');
});

test('best eval: highest accuracy of the first split, else lowest loss', () => {
  assert.equal(bestEval([evalRow(1, 0.5), evalRow(2, 0.7), evalRow(2, 0.99, 'retention'), evalRow(3, 0.6)])!.step, 2);
  assert.equal(bestEval([{ step: 1, split: 'v', loss: 3, examples: 1 }, { step: 2, split: 'v', loss: 1, examples: 1 }, { step: 3, split: 'v', loss: NaN, examples: 1 }])!.step, 2);
  assert.equal(bestEval([]), undefined);
});

test('the metrics tail reads only what was appended, waits for torn lines, and restarts when the file shrinks', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-tail-'));
  const file = path.join(dir, 'metrics.jsonl');
  const tail = new MetricsTail(dir);
  assert.deepEqual((await tail.read()).rows, [], 'no file yet');
  const row = (step: number) => JSON.stringify({ step, loss: step / 10, lr: 0.1, gradNorm: 1, seconds: 0.1, epoch: 0, note: 'é'.repeat(3) });
  fs.writeFileSync(file, `${row(1)}\n${row(2)}\n${row(3).slice(0, 20)}`);
  assert.deepEqual((await tail.read()).rows.map((r) => r.metric.step), [1, 2]);
  fs.appendFileSync(file, `${row(3).slice(20)}\n${JSON.stringify(evalRow(3, 0.5))}\n`);
  const next = await tail.read();
  assert.deepEqual(next.rows.map((r) => [r.kind, r.metric.step]), [['step', 3], ['eval', 3]]);
  assert.equal((next.rows[0].metric as unknown as { note: string }).note, 'ééé');
  fs.writeFileSync(file, `${row(1)}\n`); // a resume truncated the file
  const again = await tail.read();
  assert.equal(again.reset, true);
  assert.deepEqual(again.rows.map((r) => r.metric.step), [1]);
  // a large file in several chunks
  fs.writeFileSync(file, Array.from({ length: 20000 }, (_, i) => row(i + 1) + '\n').join(''));
  const big = new MetricsTail(dir);
  const all = (await big.read()).rows;
  assert.equal(all.length, 20000);
  assert.equal(all.at(-1)!.metric.step, 20000);
});
