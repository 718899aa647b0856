import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURES } from '../helpers/fixtures.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/finetune.js');
const finetune = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

test('finetune inspect prints the module tree with counts, renamed weights placed by module', () => {
  const r = finetune('inspect', path.join(FIXTURES, 'encoder.ts.onnx'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /parameters: 3[0-9],[0-9]{3}/);
  assert.match(r.stdout, /layers {2}[0-9,]+\n {2}0 {2}[0-9,]+/);
  assert.match(r.stdout, /· weight \[32×96\] {2}\(onnx::MatMul_196\)/);
  assert.match(r.stdout, /every op on the training path has a gradient rule/);
  const json = JSON.parse(finetune('inspect', '--json', path.join(FIXTURES, 'mlp.ts.onnx')).stdout);
  assert.deepEqual(json.tree.children.map((c: { name: string }) => c.name), ['fc1', 'fc2', 'norm', 'head']);
  assert.deepEqual(json.unsupportedOps, []);
});

test('finetune train runs an experiment file and writes its run directory', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-cli-'));
  const exp = path.join(dir, 'exp.json');
  fs.writeFileSync(exp, JSON.stringify({
    model: path.join(FIXTURES, 'mlp.ts.onnx'), data: { train: path.join(FIXTURES, 'mlp.train.jsonl'), eval: path.join(FIXTURES, 'mlp.eval.jsonl') },
    batchSize: 8, steps: 5, threads: 1, freeze: ['fc1.*'], optimizer: { name: 'adamw', lr: 3e-3 }, output: 'runs',
  }));
  const r = finetune('train', exp);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /of [0-9,]+ parameters trainable \(2 tensors frozen\); 5 steps/);
  assert.match(r.stderr, /eval @0 validation: loss [0-9.]+ {2}accuracy/);
  assert.match(r.stderr, /completed after 5\/5 steps/);
  const [run] = fs.readdirSync(path.join(dir, 'runs'));
  const rows = fs.readFileSync(path.join(dir, 'runs', run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(rows.filter((m) => !m.split).map((m) => m.step), [1, 2, 3, 4, 5]);
  for (const m of rows.filter((x) => !x.split)) for (const k of ['loss', 'lr', 'seconds', 'gradNorm']) assert.equal(typeof m[k], 'number');
});

test('finetune reports bad input on stderr with a non-zero exit, never a stack trace', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-cli-bad-'));
  const exp = path.join(dir, 'exp.json');
  fs.writeFileSync(exp, JSON.stringify({ model: 'x.onnx', data: { train: 'a.csv' }, optimizer: { name: 'sgd', lr: 0 } }));
  let r = finetune('train', exp);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /exp\.json: invalid experiment:\n {2}- optimizer\.lr must be > 0/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  fs.writeFileSync(path.join(dir, 'bad.onnx'), 'not a model');
  r = finetune('inspect', path.join(dir, 'bad.onnx'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.onnx: not a valid ONNX model/);
  assert.equal(finetune('frobnicate').status, 2);
});
