// The packaged extension installs into a real VS Code (code-server), shows its activity-bar container with the
// welcome view, and its palette command runs.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openSession, type Session } from '../lib/session.js';

let s: Session;
before(async () => {
  s = await openSession('smoke');
});
after(async () => {
  await s?.close();
});

test('the "Fine-tune" container shows the welcome view with a "Fine-tune model" button', async () => {
  const sidebar = await s.wb.showViewContainer('Fine-tune');
  const welcome = sidebar.locator('.welcome-view-content').filter({ hasText: 'No fine-tuning experiments in this workspace yet.' });
  await welcome.waitFor({ state: 'visible' });
  await welcome.locator('.monaco-button').filter({ hasText: 'Fine-tune model' }).waitFor({ state: 'visible' });
  await s.wb.screenshot('smoke-welcome-view');
});

test('the palette lists "Fine-tune: Fine-tune model" and hides the commands that need a tree item', async () => {
  const titles = await s.wb.paletteCommands('Fine-tune:');
  assert.ok(titles.includes('Fine-tune: Fine-tune model'), `palette shows: ${titles.join(' | ')}`);
  assert.ok(titles.includes('Fine-tune: Preview dataset'), `palette shows: ${titles.join(' | ')}`);
  for (const hidden of ['Fine-tune: Stop', 'Fine-tune: Delete', 'Fine-tune: Fine-tune this model']) {
    assert.ok(!titles.includes(hidden), `"${hidden}" should not be in the palette`);
  }
});

test('running "Fine-tune model" reaches the extension (no "command not found")', async () => {
  await s.wb.runCommand('Fine-tune: Fine-tune model');
  const reaction = s.wb.page.locator('.quick-input-widget .quick-input-list, .notification-list-item').filter({ visible: true });
  await reaction.first().waitFor({ state: 'visible', timeout: 60_000 });
  assert.equal(await s.wb.notification(/command .* not found/i).count(), 0);
  await s.wb.screenshot('smoke-fine-tune-command');
  await s.wb.page.keyboard.press('Escape');
});
