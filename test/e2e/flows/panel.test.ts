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
    prepareWorkspace: (ws) => {
      fs.rmSync(path.join(ws, 'pretrain.experiment.json'));
      // A short run for flow 8: three epochs, evaluated every 10 steps, checkpoints every 20.
      const file = path.join(ws, 'finetune.experiment.json');
      fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), epochs: 3, evalEvery: 10, checkpointEvery: 20 }, null, 2));
    },
  });
});
after(async () => {
  await s?.close();
});

const experimentFile = () => path.join(s.workspace, 'finetune.experiment.json');
const specOnDisk = () => JSON.parse(fs.readFileSync(experimentFile(), 'utf8'));
const freezeOnDisk = (): string[] => specOnDisk().freeze ?? [];

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
  // 65 role dropdowns head the columns: the rows are in view without scrolling the page, and the last column's
  // dropdown is reached by scrolling the table sideways.
  const inView = () => panel.locator('[data-testid="preview-row"]').nth(5).evaluate((row) =>
    window.scrollY === 0 && row.getBoundingClientRect().bottom <= window.innerHeight);
  assert.ok(await inView(), 'the sixth row shows without scrolling the page');
  await wb.screenshot('2b-preview-dataset-csv-roles');
  const lastRole = panel.locator('[data-testid="role-select-label"]');
  await lastRole.scrollIntoViewIfNeeded();
  assert.ok(await inView(), 'scrolling to the last column keeps the rows in view');
  assert.ok(await panel.locator('.table-wrap').evaluate((t) => t.scrollLeft > 0), 'the table scrolled sideways');
  await wb.screenshot('2b2-preview-dataset-csv-last-column-role');
  const bars = panel.locator('[data-testid="label-distribution"] .bar-row');
  assert.equal(await bars.count(), 10, 'digits 0-9');
  const counts = (await bars.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-count')))));
  assert.equal(counts.reduce((a, b) => a + b, 0), 1797);
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

flow('flow 8: a run\'s forgetting monitor mixes source data into the experiment in one click; a checkpoint diff', () => s, async () => {
  const { wb } = s;
  const panel = wb.webview();
  // Back to the head-only preset (flow 3 left the classifier frozen).
  await panel.locator('[data-testid="preset-head"]').click();
  await waitUntil(() => freezeOnDisk().some((g) => g.startsWith('features')) && !freezeOnDisk().some((g) => g.startsWith('classifier')), { what: 'the head-only preset in the experiment file' });

  await wb.showViewContainer('Fine-tune');
  await wb.resizeSidebar(440);
  const experiment = wb.treeItem('digits-5-9', 1);
  await wb.contextMenu(experiment, 'Run experiment');
  await wb.expand(experiment);
  const run = wb.treeRows(2).first();
  await waitUntil(async () => (await wb.description(run)).startsWith('completed'), { timeoutMs: 240_000, what: 'the short run to complete' });
  await run.click(); // opens the panel on the run's curves

  const forgetting = panel.locator('[data-testid="chart-box-forgetting"]');
  await forgetting.waitFor({ state: 'visible', timeout: 60_000 });
  const summary = panel.locator('[data-testid="chart-summary-forgetting"]');
  await waitUntil(async () => /retention \(digits 0-4\)/.test((await summary.textContent()) ?? ''), { what: 'the forgetting chart to show the retention set' });
  const percent = panel.locator('[data-testid^="mix-percent-"]');
  await percent.fill('20');
  await forgetting.scrollIntoViewIfNeeded();
  await wb.screenshot('8a-forgetting-monitor');
  await panel.locator('[data-testid^="mix-apply-"]').click();
  await waitUntil(() => specOnDisk().retention?.mix === 0.2, { what: 'retention.mix = 0.2 in the experiment file' });
  assert.equal(specOnDisk().retention.data, 'source/validation', 'the rest of retention is kept');
  const notice = panel.locator('[data-testid="notice"]');
  await notice.filter({ hasText: 'retention.mix = 0.2' }).waitFor({ state: 'visible' });
  assert.match((await notice.textContent()) ?? '', /mixes 20% source data into training/);
  assert.ok(await notice.evaluate((n) => n.getBoundingClientRect().top >= 0 && n.getBoundingClientRect().bottom <= window.innerHeight), 'the notice is in view');
  await wb.screenshot('8b-forgetting-mix-applied');
  await notice.click(); // dismissed

  // Checkpoint diff from the tree: the first checkpoint (the tree's last row) against the last one (its first row).
  await wb.expand(run);
  const checkpoints = wb.treeRows(3, /^step \d+/);
  await waitUntil(async () => (await checkpoints.count()) >= 2, { what: 'the run\'s checkpoints in the tree' });
  const labels = (await checkpoints.locator('.label-name').allTextContents()).map((t) => t.trim());
  await waitUntil(async () => {
    await wb.contextMenu(checkpoints.last(), 'Compare with…');
    return wb.quickInputBox.waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false);
  }, { what: '"Compare with…" to show its checkpoint picker' });
  await wb.quickPick(labels[0]!);
  const bars = panel.locator('[data-testid="diff-bars"] .bar-row');
  await bars.first().waitFor({ state: 'visible', timeout: 120_000 });
  const frozen = await panel.locator('[data-testid="diff-bars"] .bar-row[data-frozen="true"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-rel'))));
  assert.ok(frozen.length > 0 && frozen.every((r) => r === 0), `frozen modules unchanged: ${frozen}`);
});

flow('flow 7: every tab of the panel in light and dark themes', () => s, async () => {
  const { wb } = s;
  const panel = wb.webview();
  await panel.locator('[data-testid="diff-bars"]').waitFor({ state: 'visible' });
  const bodyColor = () => panel.locator('body').evaluate((b) => getComputedStyle(b).backgroundColor);
  const tab = async (section: string) => {
    await panel.locator(`[data-testid="tab-${section}"]`).click();
    await panel.locator(`body[data-section="${section}"]`).waitFor({ state: 'attached' });
    await panel.locator(`[data-testid="section-${section}"]`).waitFor({ state: 'visible' });
  };
  // Discriminative learning rates: a group per block, each with its number field.
  await tab('model');
  await panel.locator('[data-testid="discriminative"]').click();
  await panel.locator('[data-testid="lr-group"]').first().waitFor({ state: 'visible' });

  const background: Record<string, string> = {};
  for (const [i, theme] of (['light', 'dark'] as const).entries()) {
    await wb.setTheme(theme);
    await wb.waitForWebviewTheme(panel, theme);
    background[theme] = await bodyColor();
    const n = String.fromCharCode(97 + i); // 7a-…: light, 7b-…: dark
    await tab('preview');
    await wb.screenshot(`7${n}1-${theme}-data`);
    await tab('model');
    await panel.locator('[data-testid="lr-groups"]').scrollIntoViewIfNeeded();
    // No number field reads as invalid (red) in either theme.
    const red = await panel.locator('input.num, vscode-textfield').evaluateAll((els) => els.filter((e) => e.matches(':invalid') || e.hasAttribute('invalid')).length);
    assert.equal(red, 0, 'no invalid-looking fields');
    await wb.screenshot(`7${n}2-${theme}-model`);
    await tab('curves');
    await wb.screenshot(`7${n}3-${theme}-curves`);
    await panel.locator('[data-testid="chart-box-forgetting"]').scrollIntoViewIfNeeded();
    await wb.screenshot(`7${n}4-${theme}-forgetting`);
    await tab('diff');
    await wb.screenshot(`7${n}5-${theme}-diff`);
  }
  assert.notEqual(background.light, background.dark, 'the panel follows the theme');
});
