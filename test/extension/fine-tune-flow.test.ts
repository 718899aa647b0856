import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspectModel } from '../../src/cli/inspect.js';
import { previewDataset } from '../../src/core/data/preview.js';
import { parseExperiment } from '../../src/core/experiment/spec.js';
import { fineTuneFlow, type FlowEnv, type PickItem, type Prompter, type Step } from '../../src/extension/setup/fine-tune-flow.js';

const EXAMPLES = path.resolve(import.meta.dirname, '../../../examples');
const MODEL = path.join(EXAMPLES, 'digits/digits-cnn.onnx');
const DATA = path.join(EXAMPLES, 'digits/target');

/** Answers each prompt with the first item whose label starts with the scripted text; `null` is Escape. */
function scripted(answers: (string | null)[]) {
  const seen: { step: Step; labels: string[] }[] = [];
  const explained: string[] = [];
  const next = () => {
    if (!answers.length) throw new Error('the flow asked more than the script answers');
    return answers.shift()!;
  };
  const prompter: Prompter = {
    async pick<T>(step: Step, items: PickItem<T>[]) {
      seen.push({ step, labels: items.map((i) => i.label) });
      const a = next();
      if (a === null) return undefined;
      const item = items.find((i) => i.label.startsWith(a));
      if (!item) throw new Error(`no item '${a}' in ${items.map((i) => i.label).join(' | ')}`);
      return item.value;
    },
    async input(step) {
      seen.push({ step, labels: [step.value] });
      const a = next();
      if (a === null) return undefined;
      const v = a === '' ? step.value : a;
      const problem = step.validate(v);
      if (problem) throw new Error(problem);
      return v;
    },
    async explain(message) {
      explained.push(message);
    },
  };
  return { prompter, seen, explained };
}

function env(extra: Partial<FlowEnv> = {}): FlowEnv {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-flow-'));
  return {
    findModels: async () => [MODEL],
    findDatasets: async () => [DATA, path.join(EXAMPLES, 'digits/digits.csv')],
    browse: async () => undefined,
    inspect: async (f) => inspectModel(f),
    preview: async (f) => previewDataset(f),
    workspaceRoot: EXAMPLES,
    experimentsDir: path.join(root, '.finetune/experiments'),
    runsDir: path.join(root, '.finetune/runs'),
    defaultBatchSize: 16,
    exists: (f) => fs.existsSync(f),
    ...extra,
  };
}

test('model → dataset → task → "Train head only" → name writes a valid experiment that freezes the body', async () => {
  const e = env();
  const { prompter, seen } = scripted(['digits-cnn.onnx', 'target', 'Classification', 'Train head only', '']);
  const r = await fineTuneFlow(prompter, e);
  assert.ok(r);
  assert.deepEqual(seen.map((s) => s.step.step), [1, 2, 3, 4, 5]);
  assert.match(seen[2].step.placeholder, /guessed: classification/);
  assert.equal(r.experimentFile, path.join(e.experimentsDir, 'digits-cnn-target-head.json'));
  assert.equal(r.custom, false);
  const spec = parseExperiment(r.spec);
  assert.deepEqual(spec.freeze, ['features.*']);
  assert.equal(path.resolve(path.dirname(r.experimentFile), spec.model), MODEL);
  assert.equal(path.resolve(path.dirname(r.experimentFile), spec.data.train), DATA);
  assert.equal(path.resolve(path.dirname(r.experimentFile), spec.output), e.runsDir);
  // digits 5-9 keep their output index among the model's ten classes
  assert.deepEqual(spec.data.labels, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.equal(spec.data.split, undefined, 'the folder has its own validation split');
  assert.equal(spec.optimizer.lr, 1e-3);
  assert.ok(spec.checkpointEvery! >= 1 && spec.evalEvery! >= 1);
});

test('Escape at any step cancels without a result', async () => {
  for (let at = 0; at < 5; at++) {
    const answers: (string | null)[] = ['digits-cnn.onnx', 'target', 'Classification', 'Full fine-tune', ''];
    answers[at] = null;
    assert.equal(await fineTuneFlow(scripted(answers).prompter, env()), undefined, `escape at step ${at + 1}`);
  }
});

test('an unreadable model and a dataset that fails to parse are explained and asked again', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-flow-bad-'));
  const badModel = path.join(dir, 'broken.onnx');
  fs.writeFileSync(badModel, 'not a protobuf at all');
  const badData = path.join(dir, 'empty.csv');
  fs.writeFileSync(badData, 'text,label\n');
  const e = env({ findModels: async () => [badModel, MODEL], findDatasets: async () => [badData, DATA] });
  const { prompter, explained } = scripted(['broken.onnx', 'digits-cnn.onnx', 'empty.csv', 'target', 'Classification', 'Last N blocks', 'Last 1 block', 'my-exp']);
  const r = await fineTuneFlow(prompter, e);
  assert.ok(r);
  assert.equal(explained.length, 2);
  assert.match(explained[0], /broken\.onnx cannot be read as an ONNX model/);
  assert.match(explained[1], /empty\.csv/);
  assert.deepEqual(parseExperiment(r.spec).freeze, ['features.0.*']);
  assert.equal(parseExperiment(r.spec).name, 'my-exp');
});

test('the name must be new and file-safe; Custom… asks for the panel instead of a preset', async () => {
  const e = env();
  fs.mkdirSync(e.experimentsDir, { recursive: true });
  fs.writeFileSync(path.join(e.experimentsDir, 'digits-cnn-target.json'), '{}');
  const { prompter, seen } = scripted(['digits-cnn.onnx', 'target', 'Classification', 'Custom', '']);
  const r = await fineTuneFlow(prompter, e);
  assert.equal(seen[4].labels[0], 'digits-cnn-target-2', 'an existing name gets a suffix');
  assert.ok(r?.custom);
  assert.deepEqual(parseExperiment(r!.spec).freeze, []);
  const bad = scripted(['digits-cnn.onnx', 'target', 'Classification', 'Custom', 'digits-cnn-target']);
  await assert.rejects(fineTuneFlow(bad.prompter, e), /exists already/);
  const unsafe = scripted(['digits-cnn.onnx', 'target', 'Classification', 'Custom', 'a/b']);
  await assert.rejects(fineTuneFlow(unsafe.prompter, e), /letters, digits/);
});
