// The panel in the real workbench, on the digits example: flow 2 (Explorer right-click on the CSV → "Preview
// dataset": rows, roles, label distribution), flow 3 (freeze toggles update the trainable count and the experiment
// file) and flow 7 (the panel in light and dark themes).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before } from 'node:test';
import { flow } from '../lib/flow.js';
import { openSession, type Session } from '../lib/session.js';
import { waitUntil } from '../lib/wait.js';

let s: Session;
before(async () => {
  s = await openSession('panel', {
    prepareWorkspace: (ws) => fs.rmSync(path.join(ws, 'pretrain.experiment.json')),
  });
});
after(async () => {
  await s?.close();
});

const experimentFile = () => path.join(s.workspace, 'finetune.experiment.json');
const freezeOnDisk = (): string[] => JSON.parse(fs.readFileSync(experimentFile(), 'utf8')).freeze ?? [];

flow('flow 2: Explorer right-click on a CSV → "Preview dataset" shows its rows, roles and label distribution', () => s, async () => {
  const { wb } = s;
  const csv = await wb.explorerItem('digits.csv');
  await wb.contextMenuOffering(csv, ['Preview dataset', 'Fine-tune with this dataset'], { screenshot: '2a-explorer-context-menu-csv' });
  await wb.contextMenu(csv, 'Preview dataset');

  const panel = wb.webview();
  await panel.locator('[data-testid="preview-table"]').waitFor({ state: 'visible', timeout: 60_000 });
  assert.match((await panel.locator('[data-testid="preview-summary"]').textContent()) ?? '', /csv · 1,797 rows · 65 columns/i);
  assert.ok((await panel.locator('[data-testid="preview-row"]').count()) > 5, 'the table shows rows');
  assert.equal(await panel.locator('[data-testid="role-label"]').getAttribute('data-role'), 'label');
  assert.equal(await panel.locator('[data-testid="role-pixel_3_3"]').getAttribute('data-role'), 'feature');
  const bars = panel.locator('[data-testid="label-distribution"] .bar-row');
  assert.equal(await bars.count(), 10, 'digits 0-9');
  const counts = (await bars.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-count')))));
  assert.equal(counts.reduce((a, b) => a + b, 0), 1797);
  await wb.screenshot('2b-preview-dataset-csv-roles');
  await panel.locator('[data-testid="label-distribution"]').scrollIntoViewIfNeeded();
  await wb.screenshot('2c-preview-dataset-csv-label-distribution');
});

flow('flow 3: freeze toggles update the trainable count and the experiment file', () => s, async () => {
  const { wb } = s;
  await wb.showViewContainer('Fine-tune');
  await wb.contextMenu(wb.treeItem('digits-5-9', 1), 'Open panel');
  const panel = wb.webview();
  const count = panel.locator('[data-testid="trainable-count"]');
  await count.waitFor({ state: 'visible', timeout: 60_000 });
  const trainable = async () => Number(await count.getAttribute('data-trainable'));
  const total = Number(await count.getAttribute('data-total'));
  assert.deepEqual(freezeOnDisk(), ['features.*']);
  const frozenFeatures = await trainable();
  assert.ok(frozenFeatures > 0 && frozenFeatures < total, `${frozenFeatures} of ${total} trainable with features frozen`);
  assert.equal(await panel.locator('[data-testid="module-row-features"]').getAttribute('data-state'), 'frozen');
  await wb.screenshot('3a-freeze-features-frozen');

  // Unfreeze the convolutional block: everything trains, and the file no longer freezes it.
  await panel.locator('[data-testid="module-toggle-features"]').click();
  await waitUntil(async () => (await trainable()) === total, { what: 'the trainable count to reach the total' });
  await waitUntil(() => !freezeOnDisk().some((g) => g.startsWith('features')), { what: 'the experiment file to stop freezing features' });
  assert.equal(await panel.locator('[data-testid="module-row-features"]').getAttribute('data-state'), 'trainable');
  await wb.screenshot('3b-freeze-features-unfrozen');

  // Freeze the classifier instead: the count drops by exactly its parameters, and the file says so.
  await panel.locator('[data-testid="module-toggle-classifier"]').click();
  await waitUntil(async () => (await trainable()) === total - frozenFeatures, { what: 'the trainable count to drop by the classifier' });
  await waitUntil(() => freezeOnDisk().some((g) => g.startsWith('classifier')), { what: 'the experiment file to freeze the classifier' });
  await wb.screenshot('3c-freeze-classifier-frozen');
});

flow('flow 7: the panel in light and dark themes', () => s, async () => {
  const { wb } = s;
  const panel = wb.webview();
  await panel.locator('[data-testid="trainable-count"]').waitFor({ state: 'visible' });
  const bodyColor = () => panel.locator('body').evaluate((b) => getComputedStyle(b).backgroundColor);

  await wb.setTheme('light');
  await wb.waitForWebviewTheme(panel, 'light');
  const light = await bodyColor();
  await wb.screenshot('7a-panel-light-theme');

  await wb.setTheme('dark');
  await wb.waitForWebviewTheme(panel, 'dark');
  const dark = await bodyColor();
  await wb.screenshot('7b-panel-dark-theme');
  assert.notEqual(light, dark, 'the panel follows the theme');
});
