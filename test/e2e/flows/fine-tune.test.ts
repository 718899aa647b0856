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
  await wb.notification(/Fine-tune run .* completed at step \d+/).waitFor({ state: 'visible' });
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
