import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ort from 'onnxruntime-node';
import { formatInspection, inspectModel } from '../../src/cli/inspect.js';
import { checkpointDir, loadCheckpoint } from '../../src/core/checkpoints/checkpoint.js';
import { readSafetensors } from '../../src/core/checkpoints/safetensors.js';
import type { RunEvent } from '../../src/core/experiment/events.js';
import { runExperiment } from '../../src/core/experiment/run.js';
import { RUN_FILES } from '../../src/core/experiment/run-dir.js';
import { parseExperiment } from '../../src/core/experiment/spec.js';
import type { LoraSpec } from '../../src/core/lora/types.js';
import { loadModel, serializeModel } from '../../src/core/onnx/model.js';
import { TrainingSession, type StepResult } from '../../src/core/session.js';
import type { Feeds } from '../../src/core/training-graph.js';
import { assertClose, assertRunMatches, FIXTURES, stepLosses } from '../helpers/fixtures.js';

// test/fixtures/lora: PyTorch's losses for LoRA on encoder3 (test/fixtures/generate/lora.py), adapters from a file.
const DIR = path.join(FIXTURES, 'lora');
interface Scenario {
  id: string;
  lora: LoraSpec;
  optimizer: Record<string, unknown>;
  trainableParams: number;
  fp32: { losses: number[]; evalLossBefore: number; evalLossAfter: number };
}
const expected = JSON.parse(fs.readFileSync(path.join(DIR, 'expected.json'), 'utf8')) as {
  model: string; batchSize: number; steps: number; train: string; eval: string; scenarios: Scenario[];
};
// fp32 torch against the fp32 engine, within assertClose's 2e-6 relative: torch's own fp32-vs-fp64 difference on these runs is ≤ 1.2e-7.

function spec(lora: object, optimizer: Record<string, unknown>, output: string, extra: Record<string, unknown> = {}) {
  return parseExperiment({
    model: expected.model, task: 'classification', data: { train: expected.train, eval: expected.eval },
    batchSize: expected.batchSize, steps: expected.steps, shuffle: false, threads: 1, lora, optimizer, output, ...extra,
  });
}
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ft-lora-'));

for (const s of expected.scenarios) {
  test(`LoRA ${s.id}: every step's loss is PyTorch's; checkpoints hold adapters only; exports merged + PEFT adapters`, async () => {
    const events: RunEvent[] = [];
    const summary = await runExperiment(spec(s.lora, s.optimizer, tmp()), { baseDir: DIR, onEvent: (e) => events.push(e) });
    assertRunMatches(summary.runDir, s.fp32, expected.steps);
    const start = events.find((e) => e.type === 'start') as Extract<RunEvent, { type: 'start' }>;
    assert.equal(start.trainableParams, s.trainableParams);

    const ckpt = await loadCheckpoint(checkpointDir(summary.runDir, expected.steps));
    const names = Object.keys(ckpt.params);
    assert.ok(names.every((n) => /\.lora_[AB]\.weight$/.test(n) || n.startsWith('classifier.')), names.join(', '));
    assert.equal(Object.values(ckpt.params).reduce((n, p) => n + p.data.length, 0), s.trainableParams);

    // The adapters come out in the PEFT layout they went in with, trained.
    const init = await readSafetensors(path.join(DIR, s.lora.init!));
    const out = await readSafetensors(path.join(summary.runDir, RUN_FILES.adapters));
    assert.deepEqual(Object.keys(out.tensors).sort(), Object.keys(init.tensors).sort());
    for (const [k, t] of Object.entries(out.tensors)) {
      assert.deepEqual(t.shape, init.tensors[k].shape, k);
      assert.notDeepEqual(t.data, init.tensors[k].data, `${k} did not train`);
    }
    // The merged export is a plain model: the original graph, node for node, with no adapter node left.
    const merged = loadModel(summary.modelPath!);
    const original = loadModel(path.join(DIR, expected.model));
    assert.ok(!merged.graph!.node.some((n) => n.name.startsWith('lora/')));
    assert.deepEqual(merged.graph!.node.map((n) => n.opType), original.graph!.node.map((n) => n.opType));
  });
}

/** Rows [from, from + 8) of the training set as feeds. */
function feeds(from: number): Feeds {
  const rows = fs.readFileSync(path.join(DIR, expected.train), 'utf8').trim().split('\n').slice(from, from + 8)
    .map((l) => JSON.parse(l) as { input_ids: number[]; attention_mask: number[]; label: number });
  const ints = (xs: number[][]) => BigInt64Array.from(xs.flat().map(BigInt));
  return {
    input_ids: new ort.Tensor('int64', ints(rows.map((r) => r.input_ids)), [8, 12]),
    attention_mask: new ort.Tensor('int64', ints(rows.map((r) => r.attention_mask)), [8, 12]),
    labels: new ort.Tensor('int64', ints(rows.map((r) => [r.label])), [8]),
  };
}

async function loraSession(lora: Partial<LoraSpec> & { seed?: number } = {}) {
  const s = expected.scenarios[0];
  return TrainingSession.create(path.join(DIR, expected.model), feeds(0), {
    task: 'classification', threads: 1, optimizer: { name: 'adamw', lr: 0.02 },
    lora: { ...s.lora, init: path.join(DIR, s.lora.init!), seed: 1, ...lora },
  });
}

test('LoRA merged export gives the logits of the unmerged graph (MatMul [in,out] and Gemm transB=1 weights)', async () => {
  for (const s of expected.scenarios) {
    const session = await TrainingSession.create(path.join(DIR, expected.model), feeds(0), {
      task: 'classification', threads: 1, optimizer: { name: 'adamw', lr: 0.05 },
      lora: { ...s.lora, init: path.join(DIR, s.lora.init!), seed: 1 },
    });
    for (let i = 0; i < 3; i++) {
      await session.trainStep(feeds(8 * i));
      session.optimizerStep();
      session.lazyResetGrad();
    }
    const batch = feeds(40);
    const unmerged: StepResult = await session.evalStep(batch);
    const plain = await ort.InferenceSession.create(serializeModel(session.inferenceModel()));
    const logits = (await plain.run({ input_ids: batch.input_ids, attention_mask: batch.attention_mask })).logits.data as Float32Array;
    const want = unmerged.prediction.data as Float32Array;
    assert.equal(logits.length, want.length);
    const err = Math.max(...logits.map((v, i) => Math.abs(v - want[i])));
    assert.ok(err < 1e-5, `${s.id}: merged logits differ from unmerged by ${err}`);
    assert.ok(Math.max(...want.map(Math.abs)) > 0.1);
    await plain.release();
    await session.release();
  }
});

test('LoRA default init is PEFT\'s: B zero (the base model\'s loss), A seeded Kaiming-uniform within 1/√in', async () => {
  const plain = await TrainingSession.create(path.join(DIR, expected.model), feeds(0), { task: 'classification', threads: 1 });
  const base = (await plain.evalStep(feeds(0))).loss;
  await plain.release();
  const a = await loraSession({ init: undefined, seed: 3 });
  const b = await loraSession({ init: undefined, seed: 3 });
  const c = await loraSession({ init: undefined, seed: 4 });
  assert.equal((await a.evalStep(feeds(0))).loss, base);
  const values = (s: TrainingSession, which: string) => s.trainable.filter((p) => p.name.includes(which)).flatMap((p) => [...p.data]);
  assert.ok(values(a, 'lora_B').every((v) => v === 0));
  const aValues = values(a, 'encoder.layer.0.attention.qkv.lora_A');
  assert.equal(aValues.length, 4 * 16);
  assert.ok(aValues.every((v) => Math.abs(v) <= 1 / 4) && Math.max(...aValues.map(Math.abs)) > 0.2);
  assert.deepEqual(values(a, 'lora_A'), values(b, 'lora_A'));
  assert.notDeepEqual(values(a, 'lora_A'), values(c, 'lora_A'));
  // base weights are constants of the graph: only adapters (and trainAlso) are inputs
  assert.ok(a.trainable.every((p) => p.name.includes('.lora_') || p.name.startsWith('classifier.')));
  for (const s of [a, b, c]) await s.release();
});

test('LoRA resumes exactly from a checkpoint', async () => {
  const s = expected.scenarios[0];
  const whole = stepLosses((await runExperiment(spec(s.lora, s.optimizer, tmp()), { baseDir: DIR })).runDir);
  const half = await runExperiment(spec(s.lora, s.optimizer, tmp()), { baseDir: DIR, stopAfter: 5 });
  await runExperiment(spec(s.lora, s.optimizer, tmp()), { baseDir: DIR, resume: half.runDir });
  assert.deepEqual(stepLosses(half.runDir), whole);
});

test('LoRA: bad settings are one-line errors naming the field', async () => {
  const s = expected.scenarios[0];
  assert.throws(() => spec({ ...s.lora, dropout: 0.1 }, s.optimizer, tmp()), /lora\.dropout must be one of 0/);
  assert.throws(() => spec(s.lora, s.optimizer, tmp(), { freeze: ['embeddings.*'] }), /lora trains only its adapters.*remove freeze/);
  await assert.rejects(loraSession({ target: ['*attention.qkv', '*nosuch*'] }), /lora\.target '\*nosuch\*' matches no MatMul\/Gemm weight/);
  await assert.rejects(loraSession({ target: ['*attention.qkv'] }), /'base_model\.model\.encoder\.layer\.0\.fc2\.lora_A\.weight'.*match no lora\.target module/);
  await assert.rejects(loraSession({ r: 2 }), /has shape \[4,16\], expected \[2,16\] \(r=2\)/);
  await assert.rejects(loraSession({ init: path.join(DIR, 'missing.safetensors') }), /lora\.init .*missing\.safetensors: ENOENT/);
});

test('inspect shows the weights a LoRA target adapts and the parameters it trains', () => {
  const r = inspectModel(path.join(DIR, expected.model), { lora: { target: ['*attention.qkv', 'classifier'], r: 8 } });
  assert.deepEqual(r.lora!.weights.map((w) => [w.module, w.in, w.out]).sort(), [
    ['classifier', 16, 3], ['encoder.layer.0.attention.qkv', 16, 48], ['encoder.layer.1.attention.qkv', 16, 48], ['encoder.layer.2.attention.qkv', 16, 48],
  ]);
  assert.equal(r.lora!.params, 3 * 8 * (16 + 48) + 8 * (16 + 3));
  assert.match(formatInspection(r), /LoRA r=8 on .*: 4 weights, 1,688 trained parameters/);
  assert.equal(inspectModel(path.join(DIR, expected.model)).lora, undefined);
});

test('LoRA on the GPT-2-style causal LM (Conv1D weights [in, out] read by Gemm): every step\'s loss is PyTorch\'s', async () => {
  const g = JSON.parse(fs.readFileSync(path.join(DIR, 'gpt2-expected.json'), 'utf8')) as Scenario & { model: string; train: string; steps: number; batchSize: number };
  const events: RunEvent[] = [];
  const summary = await runExperiment(parseExperiment({
    model: g.model, task: 'causal-lm', data: { train: g.train }, batchSize: g.batchSize, steps: g.steps, shuffle: false, threads: 1,
    lora: g.lora, optimizer: g.optimizer, output: tmp(),
  }), { baseDir: DIR, onEvent: (e) => events.push(e) });
  const losses = stepLosses(summary.runDir);
  assert.equal(losses.length, g.steps);
  losses.forEach((l, i) => assertClose(l, g.fp32.losses[i], `step ${i + 1} loss`));
  assert.equal((events.find((e) => e.type === 'start') as Extract<RunEvent, { type: 'start' }>).trainableParams, g.trainableParams);
});
