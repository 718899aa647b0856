// Flow 1, from an empty workspace (the digits example without its experiment files): the packaged extension shows
// its "Fine-tune" container with the welcome view; the palette's "Fine-tune model" walks model → data → task →
// preset → name; the run starts, the tree shows it running, then completed with its checkpoints.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before } from 'node:test';
import { flow } from '../lib/flow.js';
import { openSession, type Session } from '../lib/session.js';
import { waitUntil } from '../lib/wait.js';

let s: Session;
before(async () => {
  s = await openSession('fine-tune', {
    prepareWorkspace: (ws) => {
      for (const f of fs.readdirSync(ws)) if (f.endsWith('.experiment.json')) fs.rmSync(path.join(ws, f));
    },
  });
});
after(async () => {
  await s?.close();
});

flow('the "Fine-tune" container shows the welcome view with a "Fine-tune model" button', () => s, async () => {
  const sidebar = await s.wb.showViewContainer('Fine-tune');
  const welcome = sidebar.locator('.welcome-view-content').filter({ hasText: 'No fine-tuning experiments in this workspace yet.' });
  await welcome.waitFor({ state: 'visible' });
  await welcome.locator('.monaco-button').filter({ hasText: 'Fine-tune model' }).waitFor({ state: 'visible' });
  await s.wb.screenshot('1a-welcome-view');
});

flow('the palette lists "Fine-tune: Fine-tune model" and hides the commands that need a tree item', () => s, async () => {
  const titles = await s.wb.paletteCommands('Fine-tune:');
  assert.ok(titles.includes('Fine-tune: Fine-tune model'), `palette shows: ${titles.join(' | ')}`);
  assert.ok(titles.includes('Fine-tune: Preview dataset'), `palette shows: ${titles.join(' | ')}`);
  for (const hidden of ['Fine-tune: Stop', 'Fine-tune: Delete', 'Fine-tune: Fine-tune this model']) {
    assert.ok(!titles.includes(hidden), `"${hidden}" should not be in the palette`);
  }
});

flow('flow 1: palette → model → data → "Train head only" → the run trains and completes with checkpoints', () => s, async () => {
  const { wb } = s;
  await wb.runCommand('Fine-tune: Fine-tune model');
  await wb.quickPick('digits-cnn.onnx');
  await wb.quickPick('target');
  // The task is guessed from the data: classification comes first, marked as guessed.
  const guessed = wb.quickInputRow('Classification');
  await guessed.waitFor({ state: 'visible' });
  assert.match((await guessed.textContent()) ?? '', /guessed/);
  await guessed.click();
  const head = wb.quickInputRow('Train head only');
  await head.waitFor({ state: 'visible' });
  assert.match((await head.textContent()) ?? '', /parameters trained/);
  await wb.screenshot('1b-preset-pick');
  await head.click();
  await wb.inputBox('digits-head', { prompt: 'Experiment name' });

  const experimentFile = path.join(s.workspace, '.finetune', 'experiments', 'digits-head.json');
  const spec = JSON.parse(await waitUntil(() => fs.existsSync(experimentFile) && fs.readFileSync(experimentFile, 'utf8'), { what: experimentFile }));
  assert.equal(spec.task, 'classification');
  assert.equal(spec.batchSize, 16);
  assert.ok(Array.isArray(spec.freeze) && spec.freeze.length > 0, `head-only freezes the body: ${JSON.stringify(spec.freeze)}`);

  await wb.showViewContainer('Fine-tune');
  await wb.resizeSidebar(520);
  await wb.treeItem('digits-head', 1).waitFor({ state: 'visible' });
  const run = wb.treeRows(2).first();
  // Running: "step k/N · loss …" (the description follows the run's heartbeat).
  await waitUntil(async () => /^step \d+\/\d+ · loss \d/.test(await wb.description(run)), { timeoutMs: 120_000, what: 'the run to show "step k/N · loss" in the tree' });
  await wb.screenshot('1c-run-training');
  await waitUntil(async () => (await wb.description(run)).startsWith('completed'), { timeoutMs: 240_000, what: 'the run to complete' });
  await wb.notification(/Fine-tune .* completed at step \d+/).waitFor({ state: 'visible' });
  const done = /^completed · acc (\d+\.\d)%$/.exec(await wb.description(run));
  assert.ok(done, `completed run's description: ${await wb.description(run)}`);
  // Digits 5-9 start at 0% (the model knew 0-4 only); the head-only preset must really teach them.
  assert.ok(Number(done[1]) > 50, `validation accuracy after fine-tuning: ${done[1]}%`);

  await wb.expand(run);
  const checkpoints = wb.treeRows(3, /^step \d+/);
  await checkpoints.first().waitFor({ state: 'visible' });
  assert.ok((await checkpoints.count()) >= 2, 'the run keeps several checkpoints');
  await wb.screenshot('1d-run-completed-checkpoints');
});

flow('flow 4: the curves grow while a run trains, and two runs overlay', () => s, async () => {
  const { wb } = s;
  // Eight epochs: long enough to watch the curves grow.
  const file = path.join(s.workspace, '.finetune', 'experiments', 'digits-head.json');
  fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), epochs: 8 }, null, 2));
  await wb.showViewContainer('Fine-tune');
  await wb.contextMenu(wb.treeItem('digits-head', 1), 'Run experiment');
  const live = wb.treeRows(2, /step \d+\/\d+ · loss/).first();
  await live.waitFor({ state: 'visible', timeout: 120_000 });
  await live.click(); // a run's row opens the panel on its curves

  const panel = wb.webview();
  const trainLoss = panel.locator('[data-testid="chart-train-loss"]');
  const points = async () => Number((await trainLoss.getAttribute('data-points')) ?? 0);
  const first = await waitUntil(async () => (await points()) > 0 && points(), { timeoutMs: 60_000, what: 'the train-loss curve to get points' });
  await waitUntil(async () => (await points()) > first, { timeoutMs: 60_000, what: `the train-loss curve to grow past ${first} points while the run trains` });
  await wb.screenshot('4a-live-curves-growing');

  // Overlay the first run: tick it in the panel's run list.
  const other = panel.locator('[data-testid^="run-toggle-"]:not([checked])').first();
  await other.waitFor({ state: 'visible' });
  await other.click();
  const summary = panel.locator('[data-testid="curve-summary"]');
  await waitUntil(async () => (await summary.getAttribute('data-runs')) === '2', { what: 'the curves to show two runs' });
  await wb.screenshot('4b-two-runs-overlaid');
  await waitUntil(async () => (await wb.treeRows(2, /completed/).count()) === 2, { timeoutMs: 240_000, what: 'the second run to complete' });
});

flow('flow 5: checkpoint diff: per-module change, frozen modules at zero, eval metrics side by side, flipped predictions', () => s, async () => {
  const { wb } = s;
  await wb.showViewContainer('Fine-tune');
  const run = wb.treeRows(2, /completed/).first();
  await wb.expand(run);
  // The tree can redraw under the menu (a run just finished): open it again until the picker shows.
  await waitUntil(async () => {
    await wb.contextMenu(wb.treeItem('step 31', 3).first(), 'Compare with…');
    return wb.quickInputBox.waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false);
  }, { what: '"Compare with…" to show its checkpoint picker' });
  await wb.quickPick('step 123');

  const panel = wb.webview();
  const bars = panel.locator('[data-testid="diff-bars"] .bar-row');
  await bars.first().waitFor({ state: 'visible', timeout: 120_000 });
  const modules = await bars.evaluateAll((els) => els.map((e) => ({ path: e.getAttribute('data-module'), rel: Number(e.getAttribute('data-rel')), frozen: e.getAttribute('data-frozen') === 'true' })));
  const frozen = modules.filter((m) => m.frozen);
  const trained = modules.filter((m) => !m.frozen);
  assert.ok(frozen.length > 0 && frozen.every((m) => m.rel === 0 && m.path?.startsWith('features')), `frozen modules: ${JSON.stringify(frozen)}`);
  assert.ok(trained.some((m) => m.path?.startsWith('classifier') && m.rel > 0), `trained modules: ${JSON.stringify(trained)}`);
  const metrics = (await panel.locator('[data-testid="diff-metrics"]').textContent()) ?? '';
  assert.match(metrics, /validation[\d.]+[\d.]+\d+\.\d%\d+\.\d%/, `eval metrics of both checkpoints side by side: ${metrics}`);
  await panel.locator('[data-testid="flipped"]').waitFor({ state: 'visible' });
  await wb.screenshot('5a-checkpoint-diff');
  // Flipped predictions: each checkpoint saved its eval predictions.
  await panel.locator('[data-testid="flipped-row"]').first().waitFor({ state: 'visible' });
  assert.equal(await panel.locator('[data-testid="no-predictions"]').count(), 0);
  // 54.7% → 89.3% validation accuracy: many examples now right, few now wrong.
  const counts = /(\d+) now right, (\d+) now wrong/.exec((await panel.locator('[data-testid="flip-counts"]').textContent()) ?? '');
  assert.ok(counts && Number(counts[1]) > Number(counts[2]), `flip counts: ${counts?.[0]}`);
  await panel.locator('[data-testid="flipped"]').scrollIntoViewIfNeeded();
  await wb.screenshot('5b-checkpoint-diff-flipped-predictions');
});
