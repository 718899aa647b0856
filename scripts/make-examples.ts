/**
 * `npm run make-examples`: regenerates what examples/digits/ ships. Not part of the demo's path — the outputs are
 * committed — but anyone can rebuild them bit for bit (the data) or statistically the same (the model).
 *
 *   node out/scripts/make-examples.js [--from DIGITS.csv[.gz]] [--data-only | --model-only]
 *
 * 1. Data: reads the UCI digits (default examples/digits/digits.csv; `--from` takes scikit-learn's
 *    sklearn/datasets/data/digits.csv.gz, e.g. from Debian's python3-sklearn) and writes digits.csv and the image
 *    folders source/{train,validation}/0..4 and target/{train,validation}/5..9 (a seeded per-class 75/25 split).
 * 2. Model: builds the untrained CNN (scripts/make-examples/cnn.ts) into .finetune/, pretrains it on the source
 *    task (digits 0–4) through runExperiment with examples/digits/pretrain.experiment.json, and copies the run's
 *    model.onnx to examples/digits/digits-cnn.onnx.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { saveModel } from '../src/core/onnx/model.js';
import { buildDigitsCnn } from './make-examples/cnn.js';
import { digitsCsv, readDigits, SOURCE_CLASSES, splitDigits, TARGET_CLASSES, writeImageFolder } from './make-examples/digits.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIGITS_DIR = path.join(REPO, 'examples', 'digits');
export const PRETRAIN_EXPERIMENT = path.join(DIGITS_DIR, 'pretrain.experiment.json');
export const PRETRAINED_MODEL = path.join(DIGITS_DIR, 'digits-cnn.onnx');

async function makeData(from: string): Promise<void> {
  const digits = readDigits(from);
  if (digits.length !== 1797) throw new Error(`${from}: expected the 1,797 UCI digits, found ${digits.length} rows`);
  fs.writeFileSync(path.join(DIGITS_DIR, 'digits.csv'), digitsCsv(digits));
  const splits = splitDigits(digits);
  const source = await writeImageFolder(path.join(DIGITS_DIR, 'source'), splits, SOURCE_CLASSES);
  const target = await writeImageFolder(path.join(DIGITS_DIR, 'target'), splits, TARGET_CLASSES);
  console.log(`data: ${digits.length} digits → digits.csv, source/ (${source} PNGs, digits 0-4), target/ (${target} PNGs, digits 5-9)`);
}

async function makeModel(): Promise<void> {
  // Loaded here so that the data step runs without the engine's data layer.
  const { runExperiment } = await import('../src/core/experiment/run.js');
  const { readExperiment } = await import('../src/core/experiment/spec.js');
  const { progressPrinter } = await import('../src/cli/progress.js');
  const { spec, baseDir } = readExperiment(PRETRAIN_EXPERIMENT);
  const init = path.resolve(baseDir, spec.model);
  fs.mkdirSync(path.dirname(init), { recursive: true });
  await saveModel(buildDigitsCnn(), init);
  console.log(`model: untrained CNN → ${path.relative(REPO, init)}; pretraining on the source task (digits 0-4)`);
  const summary = await runExperiment(spec, { baseDir, onEvent: progressPrinter(process.stdout) });
  if (!summary.modelPath) throw new Error('pretraining did not complete');
  for (const row of summary.after) console.log(`pretrained ${row.split}: accuracy ${((row.accuracy ?? NaN) * 100).toFixed(1)}%`);
  fs.copyFileSync(summary.modelPath, PRETRAINED_MODEL);
  console.log(`model: ${path.relative(REPO, PRETRAINED_MODEL)} (${fs.statSync(PRETRAINED_MODEL).size.toLocaleString('en-US')} bytes)`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { from: { type: 'string' }, 'data-only': { type: 'boolean' }, 'model-only': { type: 'boolean' } },
  });
  if (!values['model-only']) await makeData(path.resolve(values.from ?? path.join(DIGITS_DIR, 'digits.csv')));
  if (!values['data-only']) await makeModel();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
