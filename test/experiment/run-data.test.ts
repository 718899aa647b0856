import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listCheckpoints } from '../../src/core/checkpoints/checkpoint.js';
import type { RunEvent } from '../../src/core/experiment/events.js';
import { runExperiment } from '../../src/core/experiment/run.js';
import { readRunState } from '../../src/core/experiment/run-dir.js';
import { parseExperiment } from '../../src/core/experiment/spec.js';
import { loadModel, serializeModel } from '../../src/core/onnx/model.js';
import { inspectModel } from '../../src/cli/inspect.js';
import { FIXTURES } from '../helpers/fixtures.js';
import { metricLines, mlpSpec, stepsOf, tmp } from './run-helpers.js';

const DIGITS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples/digits');

/** Four digits of each of 5–9 from the shipped example, plus `corrupt` PNGs (a valid header, garbage pixels) in 7/. */
function digits(corrupt: number, good = 4): string {
  const dir = tmp('ft-digits-');
  for (const label of ['5', '6', '7', '8', '9']) {
    const src = path.join(DIGITS, 'target', 'train', label);
    fs.mkdirSync(path.join(dir, 'train', label), { recursive: true });
    for (const f of fs.readdirSync(src).sort().slice(0, good)) fs.copyFileSync(path.join(src, f), path.join(dir, 'train', label, f));
  }
  const png = fs.readFileSync(path.join(DIGITS, 'target', 'train', '5', fs.readdirSync(path.join(DIGITS, 'target', 'train', '5'))[0]));
  for (let i = 0; i < corrupt; i++) {
    fs.writeFileSync(path.join(dir, 'train', '7', `bad-${i}.png`), Buffer.concat([png.subarray(0, 33), Buffer.from('garbage pixels '.repeat(8))]));
  }
  return dir;
}

function digitsSpec(dir: string, extra: Record<string, unknown> = {}, data: Record<string, unknown> = {}) {
  return parseExperiment({
    model: path.join(DIGITS, 'digits-cnn.onnx'), data: { train: 'train', labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], ...data },
    freeze: ['features.*'], batchSize: 4, steps: 6, shuffle: false, threads: 1, optimizer: { name: 'adamw', lr: 3e-3 }, output: 'runs', ...extra,
  });
}

test('a corrupt image met during training is skipped, counted and named in the log and run.json', async () => {
  const dir = digits(1);
  const events: RunEvent[] = [];
  const summary = await runExperiment(digitsSpec(dir), { baseDir: dir, onEvent: (e) => events.push(e) });
  assert.equal(summary.status, 'completed');
  const warned = events.filter((e) => e.type === 'log' && /skipped 1 bad row \(1 in all\)\n {2}\S+train\/7\/bad-0\.png: /.test(e.message));
  assert.equal(warned.length, 1, events.filter((e) => e.type === 'log').map((e) => (e as { message: string }).message).join('\n'));
  assert.equal(readRunState(summary.runDir)?.badRows, 1);
  assert.deepEqual(stepsOf(metricLines(summary.runDir)), [1, 2, 3, 4, 5, 6]);
});

test('data.onBadRow "fail" stops at the corrupt image, naming it, after a checkpoint of the steps done', async () => {
  const dir = digits(1);
  await assert.rejects(runExperiment(digitsSpec(dir, {}, { onBadRow: 'fail' }), { baseDir: dir }), /train\/7\/bad-0\.png: cannot decode image/);
  const [run] = fs.readdirSync(path.join(dir, 'runs')).map((d) => path.join(dir, 'runs', d));
  const state = readRunState(run)!;
  assert.equal(state.status, 'failed');
  assert.match(state.error!, /train\/7\/bad-0\.png: cannot decode image/);
  const steps = stepsOf(metricLines(run));
  assert.ok(steps.length >= 1 && steps.length < 6, `stopped mid-run (${steps})`);
  assert.deepEqual((await listCheckpoints(run)).map((c) => c.step), [steps.at(-1)]);
});

test('an epoch that yields no complete batch (rows gone bad) is an error, not a loop', async () => {
  const dir = digits(10, 1); // 5 good images, 10 corrupt ones: batches of 8 never fill
  await assert.rejects(runExperiment(digitsSpec(dir, { batchSize: 8 }), { baseDir: dir }),
    /epoch 0 gave no complete batch of 8 rows from 15 training rows \(10 bad rows skipped\)/);
});

/** A fixture model with one change made to its graph, written to a folder of its own. */
function damaged(change: (m: ReturnType<typeof loadModel>) => void, fixture = 'mlp.ts.onnx'): string {
  const dir = tmp('ft-damaged-');
  const model = loadModel(path.join(FIXTURES, fixture));
  change(model);
  fs.writeFileSync(path.join(dir, 'model.onnx'), serializeModel(model));
  return path.join(dir, 'model.onnx');
}

test('a damaged graph that still parses is rejected at load, naming the file and the node; no run folder is left', async () => {
  const dangling = damaged((m) => { m.graph!.node[0].input[1] = 'fc1.bias.missing'; });
  const out = tmp('ft-dangling-');
  await assert.rejects(runExperiment(mlpSpec(out, { model: dangling }), { baseDir: FIXTURES }), (e: Error) => {
    assert.match(e.message, new RegExp(`^${dangling.replace(/[.]/g, '\\.')}: invalid model graph:\\n {2}- node '[^']+' \\(\\w+\\): input 'fc1\\.bias\\.missing' is not a graph input, initializer, or output of an earlier node$`));
    return true;
  });
  assert.deepEqual(fs.readdirSync(out), []);

  const garbled = damaged((m) => { m.graph!.node.find((n) => n.opType === 'Relu')!.opType = 'Rel\uFFFD'; });
  assert.throws(() => inspectModel(garbled), /invalid model graph:\n {2}- node '[^']+' \(Rel\uFFFD\): 'Rel\uFFFD' is not an ONNX operator/);

  // A Conv bias shortened consistently (dims and bytes agree) no longer fits the weight it goes with.
  const bias = damaged((m) => {
    const conv = m.graph!.node.find((n) => n.opType === 'Conv')!;
    const b = m.graph!.initializer.find((i) => i.name === conv.input[2])!;
    b.dims = [BigInt(Number(b.dims[0]) - 1)];
    b.rawData = b.rawData.subarray(0, b.rawData.length - 4);
  }, 'cnnbn.ts.onnx');
  assert.throws(() => inspectModel(bias), /node '[^']+' \(Conv\): bias has dims \[\d+\], the weight has \d+ output channels/);
  const short = damaged((m) => { const t = m.graph!.initializer.find((i) => i.rawData.length > 8)!; t.rawData = t.rawData.subarray(0, 8); });
  assert.throws(() => inspectModel(short), /initializer '[^']+' holds 8 bytes, but dims \[[\d,]+\] need \d+/);
});
