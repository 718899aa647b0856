// The shipped demo (`npm run demo`): its data, its pretrained model and its experiment, run for a few steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import type { RunEvent, StepMetric } from '../../src/core/experiment/events.js';
import { runExperiment } from '../../src/core/experiment/run.js';
import { readExperiment } from '../../src/core/experiment/spec.js';
import { loadModel } from '../../src/core/onnx/model.js';
import { DEMO_EXPERIMENT } from '../../scripts/demo.js';
import { curvesSvg, readCurves, writeCurves } from '../../scripts/demo/plot.js';
import { formatReport } from '../../scripts/demo/report.js';
import { readDigits } from '../../scripts/make-examples/digits.js';

const DIGITS = path.dirname(DEMO_EXPERIMENT);
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ft-demo-'));

function pngsUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.png')).map((f) => path.join(dir, f));
}

test('the demo experiment trains: loss falls within a few steps, the target eval loss drops', async () => {
  const { spec, baseDir } = readExperiment(DEMO_EXPERIMENT);
  const out = tmp();
  spec.output = out;
  const steps: StepMetric[] = [];
  const events: RunEvent['type'][] = [];
  const summary = await runExperiment(spec, {
    baseDir, stopAfter: 12,
    onEvent: (e) => {
      events.push(e.type);
      if (e.type === 'step') steps.push(e.metric);
    },
  });
  assert.equal(summary.status, 'stopped');
  assert.equal(steps.length, 12);
  assert.ok(steps.every((s) => Number.isFinite(s.loss)));
  const lastMean = steps.slice(-4).reduce((a, s) => a + s.loss, 0) / 4;
  assert.ok(lastMean < steps[0].loss * 0.5, `loss should fall: first ${steps[0].loss}, mean of last 4 ${lastMean}`);

  // Only the classifier head trains (features.* frozen), and the eval sets are the target and retention sets.
  assert.ok(summary.trainableParams < summary.totalParams && summary.trainableParams > 0);
  const before = Object.fromEntries(summary.before.map((m) => [m.split, m]));
  const after = Object.fromEntries(summary.after.map((m) => [m.split, m]));
  assert.deepEqual(Object.keys(before).sort(), ['retention (digits 0-4)', 'validation']);
  assert.ok(after.validation.loss < before.validation.loss, `target eval loss ${before.validation.loss} → ${after.validation.loss}`);
  assert.ok(before['retention (digits 0-4)'].accuracy! > 0.9, 'the pretrained model knows digits 0-4');
  assert.ok(before.validation.accuracy! < 0.3, 'the pretrained model does not know digits 5-9');

  // The run directory has what the demo reads back, and the curves render from it.
  const runDir = summary.runDir;
  assert.ok(runDir.startsWith(out));
  const curves = readCurves(runDir);
  assert.equal(curves.steps.length, 12);
  assert.equal(curves.evals.get('validation')?.length, 2);
  const { png, svg } = await writeCurves(runDir, 'demo test');
  const meta = await sharp(png).metadata();
  assert.equal(meta.format, 'png');
  assert.ok(meta.width! >= 900);
  assert.match(fs.readFileSync(svg, 'utf8'), /<polyline/);

  const report = formatReport(summary, { wallSeconds: 1, runDir, unit: 'images', splitNames: { validation: 'target task: digits 5-9' } });
  assert.match(report, /target task: digits 5-9 \(\d+ images\)\s+\d+\.\d%\s+\d+\.\d%/);
  assert.match(report, /trainable parameters\s+[\d,]+ of [\d,]+/);
  fs.rmSync(out, { recursive: true, force: true });
});

test('the text example trains a few steps: tokenized CSV through the pretrained encoder, both eval sets', async () => {
  const { spec, baseDir } = readExperiment(path.join(path.dirname(DIGITS), 'spam', 'finetune.experiment.json'));
  const out = tmp();
  spec.output = out;
  const losses: number[] = [];
  const summary = await runExperiment(spec, { baseDir, stopAfter: 4, onEvent: (e) => e.type === 'step' && losses.push(e.metric.loss) });
  assert.equal(losses.length, 4);
  assert.ok(losses.every(Number.isFinite));
  const before = Object.fromEntries(summary.before.map((m) => [m.split, m]));
  assert.deepEqual(Object.keys(before).sort(), ['retention (easy ham vs spam)', 'validation']);
  assert.ok(before['retention (easy ham vs spam)'].accuracy! > 0.9, 'the pretrained encoder sorts easy ham from spam');
  assert.ok(before.validation.examples > 100 && before.validation.accuracy! < 0.9, 'hard ham is harder');
  fs.rmSync(out, { recursive: true, force: true });
});

test('the shipped data: 1,797 UCI digits as CSV and as PNG folders split by task', async () => {
  const digits = readDigits(path.join(DIGITS, 'digits.csv'));
  assert.equal(digits.length, 1797);
  const source = pngsUnder(path.join(DIGITS, 'source')), target = pngsUnder(path.join(DIGITS, 'target'));
  assert.equal(source.length + target.length, 1797);
  const labelOf = (f: string) => Number(path.basename(path.dirname(f)));
  assert.ok(source.every((f) => labelOf(f) <= 4) && target.every((f) => labelOf(f) >= 5));
  // No image is both in train and validation; each PNG is its CSV row (file name = row number).
  const ids = [...source, ...target].map((f) => path.basename(f, '.png'));
  assert.equal(new Set(ids).size, ids.length);
  for (const f of [source[0], source.at(-1)!, target[0], target.at(-1)!]) {
    const d = digits[Number(path.basename(f, '.png'))];
    assert.equal(d.label, labelOf(f));
    const { data, info } = await sharp(f).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [8, 8]);
    const gray = Array.from({ length: 64 }, (_, i) => data[i * info.channels]);
    assert.deepEqual(gray, d.pixels.map((p) => Math.round((p * 255) / 16)));
  }
});

test('the shipped pretrained model: a small CNN with pixel_values in and 10 logits out', () => {
  const { spec, baseDir } = readExperiment(DEMO_EXPERIMENT);
  const file = path.resolve(baseDir, spec.model);
  assert.ok(fs.statSync(file).size < 1 << 20);
  const g = loadModel(file).graph!;
  assert.deepEqual(g.input.map((i) => i.name), ['pixel_values']);
  assert.deepEqual(g.output.map((o) => o.name), ['logits']);
  const names = g.initializer.map((t) => t.name);
  for (const n of ['features.0.weight', 'features.2.weight', 'classifier.0.weight', 'classifier.2.weight']) assert.ok(names.includes(n), n);
});

test('the loss plot switches to a log axis when losses span orders of magnitude', () => {
  const curves = {
    steps: [{ step: 1, loss: 20 }, { step: 2, loss: 2 }, { step: 3, loss: 0.1 }],
    evals: new Map([['validation', [{ step: 0, split: 'validation', loss: 25, accuracy: 0 }, { step: 3, split: 'validation', loss: 0.2, accuracy: 0.9 }]]]),
  };
  assert.match(curvesSvg(curves, 't'), /Loss \(log scale\)/);
  curves.steps = curves.steps.map((s) => ({ ...s, loss: 1 + s.loss / 100 }));
  curves.evals.get('validation')!.forEach((e) => (e.loss = 1));
  assert.doesNotMatch(curvesSvg(curves, 't'), /log scale/);
});
