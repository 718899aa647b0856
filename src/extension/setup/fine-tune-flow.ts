// "Fine-tune model": model → dataset → task → preset → name, as plain logic over a Prompter (QuickPick and input
// box in VS Code, a script in tests). Bad picks are explained and asked again before anything runs. The result is an
// experiment file in the CLI's format, with paths relative to it.
import * as path from 'node:path';
import type { Inspection } from '../../cli/inspect.js';
import type { Preview, Task } from '../../core/data/types.js';
import type { Preset } from '../../contracts/model.js';
import { treeParams, type ParamInfo } from '../../core/module-tree.js';
import { findBlocks, findHead, globsFor, presetFrozen, trainableCount } from '../../core/freezing.js';

export interface Step {
  title: string;
  step: number;
  totalSteps: number;
  placeholder: string;
}

export interface PickItem<T> {
  label: string;
  description?: string;
  detail?: string;
  value: T;
}

/** The UI the flow talks to; `undefined` answers mean Escape, which cancels the whole flow. */
export interface Prompter {
  pick<T>(step: Step, items: PickItem<T>[]): Promise<T | undefined>;
  input(step: Step & { value: string; validate(value: string): string | undefined }): Promise<string | undefined>;
  /** Explains why a pick cannot be used; the flow then asks again. */
  explain(message: string): Promise<void>;
}

export interface FlowEnv {
  findModels(): Promise<string[]>;
  findDatasets(): Promise<string[]>;
  browse(kind: 'model' | 'dataset'): Promise<string | undefined>;
  inspect(model: string): Promise<Inspection>;
  preview(dataset: string): Promise<Preview>;
  /** Shown relative to this folder. */
  workspaceRoot: string;
  experimentsDir: string;
  runsDir: string;
  defaultBatchSize: number;
  exists(file: string): boolean;
}

export interface FlowResult {
  experimentFile: string;
  spec: Record<string, unknown>;
  /** "Custom…": open the panel to choose what to freeze instead of starting. */
  custom: boolean;
}

const TOTAL = 5;
const BROWSE = Symbol('browse');
const EPOCHS = 3;

/** A freezing preset, as the panel's presets define it (one definition of head and blocks for both). */
interface FreezePreset { kind: Preset; n?: number }
type PresetChoice = { preset: FreezePreset; lr: number; label: string } | 'custom';

/** The `freeze` globs of a preset. */
function presetGlobs(params: ParamInfo[], preset: FreezePreset): string[] {
  return globsFor(params, [], presetFrozen(params, preset.kind, preset.n));
}

const rel = (root: string, p: string) => path.relative(root, p) || '.';
const count = (n: number) => n.toLocaleString('en-US');

async function pickPath(p: Prompter, env: FlowEnv, kind: 'model' | 'dataset', step: number): Promise<string | undefined> {
  const found = kind === 'model' ? await env.findModels() : await env.findDatasets();
  const items: PickItem<string | typeof BROWSE>[] = found.map((f) => ({ label: path.basename(f), description: rel(env.workspaceRoot, path.dirname(f)), value: f }));
  items.push({ label: kind === 'model' ? '$(folder-opened) Browse for an .onnx file…' : '$(folder-opened) Browse for a data file or folder…', value: BROWSE });
  const choice = await p.pick({
    title: 'Fine-tune model', step, totalSteps: TOTAL,
    placeholder: kind === 'model' ? 'Pick the pretrained model (.onnx) to fine-tune' : 'Pick the training data (CSV, TSV, JSONL, Parquet, text, image folder)',
  }, items);
  if (choice === BROWSE) return env.browse(kind);
  return choice;
}

async function chooseModel(p: Prompter, env: FlowEnv, given?: string): Promise<{ file: string; info: Inspection } | undefined> {
  for (let file = given; ; file = undefined) {
    file ??= await pickPath(p, env, 'model', 1);
    if (!file) return undefined;
    try {
      const info = await env.inspect(file);
      if (info.unsupportedOps.length) {
        const ops = info.unsupportedOps.slice(0, 5).map((o) => `${o.opType} (${o.name})`).join(', ');
        await p.explain(`${path.basename(file)} cannot be fine-tuned yet: ${info.unsupportedOps.length} op(s) on the training path have no gradient rule: ${ops}${info.unsupportedOps.length > 5 ? ', …' : ''}. Pick another model.`);
        continue;
      }
      if (info.totalParams === 0) {
        await p.explain(`${path.basename(file)} has no trainable parameters (no float initializers). Pick another model.`);
        continue;
      }
      return { file, info };
    } catch (e) {
      await p.explain(`${path.basename(file)} cannot be read as an ONNX model: ${(e as Error).message}`);
    }
  }
}

async function chooseDataset(p: Prompter, env: FlowEnv, given?: string): Promise<{ file: string; preview: Preview } | undefined> {
  for (let file = given; ; file = undefined) {
    file ??= await pickPath(p, env, 'dataset', 2);
    if (!file) return undefined;
    try {
      const preview = await env.preview(file);
      if (preview.rowCount - preview.badRows.length <= 0) {
        await p.explain(`${path.basename(file)} has no usable rows${preview.badRows[0] ? ` (${preview.badRowUnit} ${preview.badRows[0].line}: ${preview.badRows[0].reason})` : ''}. Pick another dataset.`);
        continue;
      }
      return { file, preview };
    } catch (e) {
      await p.explain(`${path.basename(file)} cannot be used as training data: ${(e as Error).message}`);
    }
  }
}

/** The task the data and model suggest, and why. */
export function guessTask(info: Inspection, preview: Preview): { task: Task; why: string } {
  const label = preview.columns.find((c) => c.role === 'label');
  const target = preview.columns.find((c) => c.role === 'target');
  if (label) return { task: 'classification', why: `column '${label.name}' holds ${Object.keys(preview.labelDistribution).length} classes` };
  if (target) return { task: 'regression', why: `column '${target.name}' holds numbers` };
  const text = preview.columns.some((c) => c.role === 'text');
  if (text && info.inputs.some((i) => i.name === 'input_ids')) return { task: 'causal-lm', why: 'text without labels for a token model' };
  return { task: 'classification', why: 'no label column found: check the data' };
}

async function chooseTask(p: Prompter, info: Inspection, preview: Preview): Promise<Task | undefined> {
  const guess = guessTask(info, preview);
  const all: { task: Task; label: string; detail: string }[] = [
    { task: 'classification', label: 'Classification', detail: 'Cross-entropy on the logits: sentiment, topics, images' },
    { task: 'regression', label: 'Regression', detail: 'Mean squared error on a numeric target' },
    { task: 'causal-lm', label: 'Causal language modelling', detail: 'Next-token cross-entropy on the text (GPT-style)' },
  ];
  all.sort((a, b) => Number(b.task === guess.task) - Number(a.task === guess.task));
  return p.pick({ title: 'Fine-tune model', step: 3, totalSteps: TOTAL, placeholder: `Task — guessed: ${guess.task} (${guess.why})` },
    all.map((t) => ({ label: t.label, description: t.task === guess.task ? 'guessed' : undefined, detail: t.detail, value: t.task })));
}

async function choosePreset(p: Prompter, info: Inspection): Promise<PresetChoice | undefined> {
  const params = treeParams(info.tree);
  const head = findHead(params), blocks = findBlocks(params);
  const share = (preset: FreezePreset) => {
    const n = trainableCount(params, presetFrozen(params, preset.kind, preset.n));
    return `${count(n)} of ${count(info.totalParams)} parameters trained (${((100 * n) / info.totalParams).toFixed(1)}%)`;
  };
  const items: PickItem<PresetChoice | 'blocks'>[] = [
    { label: 'Train head only', description: share({ kind: 'head' }), detail: `Freeze everything but ${head.join(', ') || 'the last module'}; AdamW lr 1e-3. Fast, and the safest first step.`, value: { preset: { kind: 'head' }, lr: 1e-3, label: 'head' } },
  ];
  if (blocks.length >= 2) {
    items.push({ label: 'Last N blocks', description: `of ${blocks.length} blocks`, detail: 'Train the head and the top blocks; earlier layers keep their general features. AdamW lr 2e-4.', value: 'blocks' });
  }
  items.push(
    { label: 'Full fine-tune', description: share({ kind: 'all' }), detail: 'Train every parameter with a low learning rate (AdamW lr 5e-5); watch for forgetting.', value: { preset: { kind: 'all' }, lr: 5e-5, label: 'full' } },
    { label: 'Custom…', detail: 'Write the experiment file and open the panel to choose what to freeze.', value: 'custom' },
  );
  const choice = await p.pick({ title: 'Fine-tune model', step: 4, totalSteps: TOTAL, placeholder: 'What to train' }, items);
  if (choice !== 'blocks') return choice;
  const n = await p.pick({ title: 'Fine-tune model', step: 4, totalSteps: TOTAL, placeholder: 'How many of the last blocks to train' },
    Array.from({ length: Math.min(blocks.length, 6) }, (_, i) => ({
      label: `Last ${i + 1} block${i ? 's' : ''}`, description: share({ kind: 'lastBlocks', n: i + 1 }), detail: blocks.slice(-(i + 1)).join(', '), value: i + 1,
    })));
  return n === undefined ? undefined : { preset: { kind: 'lastBlocks', n }, lr: 2e-4, label: `last${n}` };
}

/** Integer labels that index a model's outputs keep their index: name all C outputs (`0`…`C-1`), or use the model's own names. */
export function outputLabels(info: Inspection, preview: Preview): string[] | undefined {
  const classes = info.outputDims[0]?.at(-1);
  const keys = Object.keys(preview.labelDistribution);
  if (typeof classes !== 'number' || classes < 2 || keys.length === 0) return undefined;
  if (info.labels?.length === classes && keys.every((k) => info.labels!.includes(k))) return info.labels;
  if (keys.length < classes && keys.every((k) => /^\d+$/.test(k) && Number(k) < classes)) return Array.from({ length: classes }, (_, i) => String(i));
  return undefined;
}

/** Builds the experiment: paths relative to the file, about EPOCHS epochs, evals and checkpoints four times a run. */
export function buildSpec(o: {
  name: string; file: string; model: string; dataset: string; task: Task; info: Inspection; preview: Preview;
  freeze: string[]; lr: number; batchSize: number; runsDir: string;
}): Record<string, unknown> {
  const dir = path.dirname(o.file);
  const hasValidation = o.preview.splits?.validation !== undefined && o.preview.splits.validation > 0;
  const trainRows = o.preview.splits?.train ?? o.preview.rowCount;
  const usable = Math.round(trainRows * (hasValidation ? 1 : 0.9));
  const batchSize = Math.max(1, Math.min(o.batchSize, usable));
  const steps = Math.max(1, Math.floor(usable / batchSize) * EPOCHS);
  const every = Math.max(1, Math.round(steps / 4));
  const labels = o.task === 'classification' ? outputLabels(o.info, o.preview) : undefined;
  return {
    name: o.name,
    model: rel(dir, o.model),
    task: o.task,
    data: {
      train: rel(dir, o.dataset),
      ...(hasValidation ? {} : { split: { validation: 0.1, seed: 42, stratify: o.task === 'classification' } }),
      ...(labels ? { labels } : {}),
    },
    batchSize,
    epochs: EPOCHS,
    evalEvery: every,
    checkpointEvery: every,
    seed: 42,
    optimizer: { name: 'adamw', lr: o.lr, weightDecay: 0.01, schedule: { type: 'linear', warmupSteps: Math.round(steps * 0.06) } },
    freeze: o.freeze,
    output: rel(dir, o.runsDir),
  };
}

export async function fineTuneFlow(p: Prompter, env: FlowEnv, given: { model?: string; dataset?: string } = {}): Promise<FlowResult | undefined> {
  const model = await chooseModel(p, env, given.model);
  if (!model) return undefined;
  const data = await chooseDataset(p, env, given.dataset);
  if (!data) return undefined;
  const task = await chooseTask(p, model.info, data.preview);
  if (!task) return undefined;
  const choice = await choosePreset(p, model.info);
  if (!choice) return undefined;
  const base = `${path.basename(model.file, '.onnx')}-${path.basename(data.file).replace(/\.[^.]+$/, '')}${choice === 'custom' ? '' : `-${choice.label}`}`
    .replace(/[^\w.-]+/g, '-');
  let suggestion = base;
  for (let i = 2; env.exists(path.join(env.experimentsDir, `${suggestion}.json`)); i++) suggestion = `${base}-${i}`;
  const name = await p.input({
    title: 'Fine-tune model', step: 5, totalSteps: TOTAL, placeholder: 'Experiment name', value: suggestion,
    validate: (v) => !/^[\w.-]+$/.test(v) ? 'Use letters, digits, ".", "-" and "_" only'
      : env.exists(path.join(env.experimentsDir, `${v}.json`)) ? `An experiment named ${v} exists already` : undefined,
  });
  if (!name) return undefined;
  const file = path.join(env.experimentsDir, `${name}.json`);
  const custom = choice === 'custom';
  const spec = buildSpec({
    name, file, model: model.file, dataset: data.file, task, info: model.info, preview: data.preview,
    freeze: custom ? [] : presetGlobs(treeParams(model.info.tree), choice.preset), lr: custom ? 1e-4 : choice.lr,
    batchSize: env.defaultBatchSize, runsDir: env.runsDir,
  });
  return { experimentFile: file, spec, custom };
}
