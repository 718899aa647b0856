/**
 * `npm run demo`: fine-tunes the shipped pretrained CNN (examples/digits/digits-cnn.onnx, trained on handwritten
 * digits 0–4) on digits 5–9, through runExperiment — the code path of `finetune train` and of the extension's
 * child process — and ends with accuracy before/after, retention on 0–4, and loss curves in the run directory.
 *
 *   node out/scripts/demo.js [--example digits|spam | --experiment FILE] [--steps N] [--output DIR]
 *
 * `--example spam` runs the text example instead (examples/spam/: a small BERT-shaped encoder pretrained on easy
 * ham vs spam, adapted to "hard ham"). Works offline: models, data and experiment files all ship in examples/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { progressPrinter } from '../src/cli/progress.js';
import { runExperiment } from '../src/core/experiment/run.js';
import { readExperiment, type ExperimentSpec } from '../src/core/experiment/spec.js';
import { UserError } from '../src/core/onnx/errors.js';
import { writeCurves } from './demo/plot.js';
import { formatReport, targetGain } from './demo/report.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEMO_EXPERIMENT = path.join(REPO, 'examples', 'digits', 'finetune.experiment.json');

const rel = (p: string) => {
  const r = path.relative(process.cwd(), p);
  return r === '' ? '.' : !r.startsWith('..') && !path.isAbsolute(r) ? r : p;
};

/** What the shipped examples are about, for the intro and the table (keyed by the experiment's folder name). */
interface ExampleText { title: string; model: string; data: string; retention: string; target: string; source: string; unit: string }
export const EXAMPLES: Record<string, ExampleText> = {
  digits: {
    title: 'fine-tune a small pretrained CNN on real handwritten digits (UCI, 8×8 pixels)',
    model: 'pretrained on digits 0-4 by `npm run make-examples`',
    data: 'digits 5-9: a task the model has never seen; train/ and validation/ folders',
    retention: 'held-out digits 0-4: does the model still know them?',
    target: 'target task: digits 5-9', source: 'source task: digits 0-4', unit: 'images',
  },
  spam: {
    title: 'adapt a small pretrained text encoder (BERT-shaped, 2 layers) to harder e-mail (SpamAssassin corpus)',
    model: 'pretrained on easy ham vs spam by `npm run make-examples`',
    data: '"hard ham" (legitimate mail that looks like spam) vs later spam',
    retention: 'held-out easy ham vs spam: does the model still sort those?',
    target: 'target task: hard ham vs spam', source: 'source task: easy ham vs spam', unit: 'messages',
  },
};
const GENERIC: ExampleText = {
  title: 'fine-tune a model', model: 'the model to fine-tune', data: 'training data', retention: 'an eval set from the source task',
  target: 'target task', source: 'source task (retention)', unit: 'examples',
};

function intro(spec: ExperimentSpec, baseDir: string, file: string, ex: ExampleText): string {
  const at = (p: string) => rel(path.resolve(baseDir, p));
  const frozen = spec.freeze.length ? spec.freeze.join(', ') : 'nothing';
  return [
    `onnx-finetune demo: ${ex.title}`,
    `  experiment  ${rel(file)}`,
    `  model       ${at(spec.model)}  (${ex.model})`,
    `  data        ${at(spec.data.train)}${spec.data.eval ? `, ${at(spec.data.eval)}` : ''}  (${ex.data})`,
    ...(spec.retention ? [`  retention   ${at(spec.retention.data)}  (${ex.retention})`] : []),
    `  frozen      ${frozen}${spec.freeze.includes('features.*') ? '  (the convolutions; the classifier head trains)' : ''}`,
    '',
  ].join('\n');
}

function vscodeHint(runDir: string, experiment: string): string {
  const folder = rel(path.dirname(experiment));
  return [
    'Open the same run in VS Code:',
    `  code ${folder}`,
    `  The run is the folder ${rel(runDir)}: metrics.jsonl, checkpoints/, loss-curves.png, model.onnx.`,
    `  Edit ${path.basename(experiment)} there and train again from the integrated terminal (the extension's experiment`,
    `  tree and panel read these same run folders once they land).`,
    `  The same experiment from a terminal: npx finetune train ${rel(experiment)}`,
  ].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { example: { type: 'string' }, experiment: { type: 'string' }, steps: { type: 'string' }, output: { type: 'string' } },
  });
  if (values.example && !EXAMPLES[values.example]) throw new UserError(`unknown example '${values.example}' (${Object.keys(EXAMPLES).join(' or ')})`);
  const file = path.resolve(values.experiment ?? (values.example ? path.join(REPO, 'examples', values.example, 'finetune.experiment.json') : DEMO_EXPERIMENT));
  const ex = EXAMPLES[path.basename(path.dirname(file))] ?? GENERIC;
  const { spec, baseDir } = readExperiment(file);
  if (values.steps) spec.steps = Number(values.steps);
  if (values.output) spec.output = path.resolve(values.output);
  process.stdout.write(intro(spec, baseDir, file, ex) + '\n');

  const t0 = performance.now();
  const summary = await runExperiment(spec, { baseDir, onEvent: progressPrinter(process.stdout) });
  const wallSeconds = (performance.now() - t0) / 1000;
  let curves: string | undefined;
  try {
    const { png, svg } = await writeCurves(summary.runDir, `${spec.name ?? 'run'}: ${path.basename(spec.model)} fine-tuned on ${spec.data.train}${spec.freeze.length ? `, frozen ${spec.freeze.join(', ')}` : ''}`);
    curves = `${rel(png)} (and ${path.basename(svg)})`;
  } catch (e) {
    process.stdout.write(`warning: could not draw the loss curves: ${(e as Error).message}\n`);
  }

  const retention = spec.retention?.name ?? 'retention';
  process.stdout.write('\n' + formatReport(summary, {
    splitNames: { validation: ex.target, [retention]: ex.source }, unit: ex.unit,
    wallSeconds, runDir: rel(summary.runDir), curves, frozen: spec.freeze,
  }) + '\n\n');

  const gain = targetGain(summary);
  if (gain && gain.after <= gain.before) {
    process.stdout.write(`The target accuracy did not improve (${(100 * gain.before).toFixed(1)}% → ${(100 * gain.after).toFixed(1)}%).\n`);
    return 1;
  }
  const kept = targetGain(summary, retention);
  if (kept && kept.before - kept.after > 0.1) {
    process.stdout.write(`Trained only on the target task, the model forgets much of the source task (catastrophic forgetting, ${(100 * kept.before).toFixed(1)}% → ${(100 * kept.after).toFixed(1)}%);\n` +
      'mixing source examples into the training data, freezing more layers or a lower learning rate are the usual\n' +
      'remedies: try them in the experiment file.\n\n');
  }
  process.stdout.write(vscodeHint(summary.runDir, file) + '\n');
  if (!fs.existsSync(summary.runDir)) return 1;
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then((code) => { process.exitCode = code; }, (e) => {
    process.stderr.write(`demo: ${e instanceof UserError || (e as Error).name === 'DataError' ? (e as Error).message : (e as Error).stack}\n`);
    process.exitCode = 1;
  });
}
