import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deadPid, mlpJson } from '../experiment/run-helpers.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/finetune.js');
const finetune = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, DEBUG: '' } });

function experiment(extra: Record<string, unknown> = {}): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-cli-runs-'));
  const file = path.join(dir, 'exp.json');
  fs.writeFileSync(file, JSON.stringify(mlpJson(path.join(dir, 'runs'), { steps: 4, ...extra })));
  return { dir, file };
}

const noStack = (stderr: string) => assert.doesNotMatch(stderr, /\n\s+at /, stderr);

test('--steps goes through the experiment schema: 0, -5, a word and a missing value are one-line errors, not runs', () => {
  const { dir, file } = experiment();
  for (const args of [['--steps', '0'], ['--steps=-5'], ['--steps', 'abc']]) {
    const r = finetune('train', file, ...args);
    assert.equal(r.status, 1, `${args}: ${r.stderr}`);
    assert.match(r.stderr, /exp\.json with --steps: invalid experiment:\n {2}- steps must be (>= 1|integer)/, `${args}: ${r.stderr}`);
    noStack(r.stderr);
  }
  const r = finetune('train', file, '--steps', '-5');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^finetune train: Option '--steps' argument is ambiguous\. Did you forget [^\n]*'--steps=-XYZ'\.\n$/);
  noStack(r.stderr);
  assert.ok(!fs.existsSync(path.join(dir, 'runs')), 'no run folder');
  const ok = finetune('train', file, '--steps', '2');
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stderr, /completed after 2\/2 steps/);
});

test('file-system errors are one line naming the path; --verbose adds the stack', () => {
  const { dir } = experiment();
  fs.writeFileSync(path.join(dir, 'file'), 'x');
  const file = path.join(dir, 'exp2.json');
  fs.writeFileSync(file, JSON.stringify(mlpJson(path.join(dir, 'file', 'runs'))));
  const r = finetune('train', file);
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^finetune train: \S+file\/runs: not a directory \(ENOTDIR\)\n$/);
  const v = finetune('train', file, '--verbose');
  assert.match(v.stderr, /ENOTDIR[^]*\n\s+at /);
});

test('finetune runs and status call a running run whose process is gone interrupted', () => {
  const { dir, file } = experiment();
  assert.equal(finetune('train', file).status, 0);
  const runs = path.join(dir, 'runs');
  const [done] = fs.readdirSync(runs);
  const ghost = path.join(runs, 'ghost-run');
  fs.mkdirSync(ghost);
  const now = new Date().toISOString();
  fs.writeFileSync(path.join(ghost, 'run.json'), JSON.stringify({ status: 'running', pid: deadPid(), startedAt: now, updatedAt: now, step: 7, totalSteps: 20, loss: 0.5 }));
  const r = finetune('runs', runs);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^completed +\\S+${done} +4/4 +loss [0-9.]+ +checkpoint @4$`, 'm'));
  assert.match(r.stdout, /^interrupted +\S+ghost-run +7\/20 +loss 0\.5000 +\(resumable\)$/m);
  const s = JSON.parse(finetune('status', ghost, '--json').stdout);
  assert.equal(s.status, 'interrupted');
  assert.equal(finetune('status', path.join(dir, 'nothing')).status, 1);
});

test('train --resume-from an earlier checkpoint forks the run', () => {
  const { dir, file } = experiment({ steps: 6, checkpointEvery: 2 });
  assert.equal(finetune('train', file).status, 0);
  const runs = path.join(dir, 'runs');
  const [run] = fs.readdirSync(runs);
  const r = finetune('train', file, '--resume-from', path.join(runs, run, 'checkpoints', 'step-000002'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`run \\S+${run}-from-step-2\\n[^]*resuming after step 2`));
  assert.deepEqual(fs.readdirSync(runs).sort(), [run, `${run}-from-step-2`]);
});
