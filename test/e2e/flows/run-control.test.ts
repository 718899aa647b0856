// Flow 6, on the shipped experiment file (made long, so each step below finds its run still training): start it
// from the tree, stop it from the tree (a checkpoint is written), resume it and kill its training process (the run
// is marked failed, "Show log" opens its log and the window keeps working), resume it again and reload the window
// while it trains (the tree re-attaches to the child that outlived the window), then stop the re-attached run.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before } from 'node:test';
import { flow } from '../lib/flow.js';
import { checkpointSteps, readRunJson, runDirs } from '../lib/runs.js';
import { openSession, type Session } from '../lib/session.js';
import { waitUntil } from '../lib/wait.js';

let s: Session;
before(async () => {
  s = await openSession('run-control', {
    prepareWorkspace: (ws) => {
      fs.rmSync(path.join(ws, 'pretrain.experiment.json'));
      const file = path.join(ws, 'finetune.experiment.json');
      fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), epochs: 200 }, null, 2));
    },
  });
  await s.wb.showViewContainer('Fine-tune');
  await s.wb.resizeSidebar(520);
});
after(async () => {
  await s?.close();
});

const experimentRow = () => s.wb.treeItem('digits-5-9', 1);
const runRow = () => s.wb.treeRows(2).first();
const description = () => s.wb.description(runRow());
const running = /^step (\d+)\/\d+ · loss \d/;

/** Waits until the run's row says it trains and returns the step it shows. */
async function waitForTraining(what: string): Promise<number> {
  const m = await waitUntil(async () => running.exec(await description()), { timeoutMs: 120_000, what });
  return Number(m[1]);
}

function onlyRunDir(): string {
  const dirs = runDirs(s.workspace);
  assert.equal(dirs.length, 1, `one run folder: ${dirs.join(', ')}`);
  return dirs[0]!;
}

flow('flow 6a: a run started from the tree stops from the tree, with a checkpoint', () => s, async () => {
  const { wb } = s;
  await experimentRow().waitFor({ state: 'visible' });
  await wb.contextMenu(experimentRow(), 'Run experiment');
  // The experiment had no run, so VS Code shows it collapsed once it has one.
  await wb.expand(experimentRow());
  await waitForTraining('the run started from the tree to train');
  const menu = await wb.contextMenuItems(runRow(), { screenshot: '6a-run-context-menu-training' });
  for (const item of ['Open panel', 'Show log', 'Stop', 'Reveal in Explorer']) assert.ok(menu.includes(item), `run menu: ${menu.join(' | ')}`);
  assert.ok(!menu.includes('Delete'), 'a training run cannot be deleted');

  await wb.contextMenu(runRow(), 'Stop');
  const stopped = await waitUntil(async () => /^stopped at (\d+)\/(\d+)/.exec(await description()), { timeoutMs: 60_000, what: 'the run to stop' });
  const runDir = onlyRunDir();
  assert.equal(readRunJson(runDir)?.status, 'stopped');
  // A graceful stop finishes the step and checkpoints it.
  assert.ok(checkpointSteps(runDir).includes(Number(stopped[1])), `checkpoint of step ${stopped[1]}: ${checkpointSteps(runDir).join(', ')}`);
  await wb.expand(runRow());
  await wb.treeItem(`step ${stopped[1]}`, 3).waitFor({ state: 'visible' });
  await wb.notification(/Fine-tune .* stopped at step \d+/).waitFor({ state: 'visible' });
  await wb.screenshot('6b-run-stopped-with-checkpoint');
});

flow('flow 6b: killing the training process marks the run failed; "Show log" works and the window keeps working', () => s, async () => {
  const { wb } = s;
  const runDir = onlyRunDir();
  const stoppedAt = readRunJson(runDir)!.step;
  await wb.contextMenu(runRow(), 'Resume');
  const step = await waitForTraining('the resumed run to train');
  assert.ok(step >= stoppedAt, `resumed at step ${step}, stopped at ${stoppedAt}`);
  const state = await waitUntil(() => {
    const r = readRunJson(runDir);
    return r?.status === 'running' && r.pid !== process.pid && r;
  }, { what: 'run.json to name the running child' });
  process.kill(state.pid, 'SIGKILL');

  const failure = wb.notification(/Fine-tune .* failed/);
  await failure.waitFor({ state: 'visible', timeout: 60_000 });
  await waitUntil(async () => (await description()).startsWith('failed'), { what: 'the killed run to show as failed' });
  await wb.screenshot('6c-killed-child-run-failed');
  await failure.locator('.monaco-button').filter({ hasText: 'Show log' }).click();
  await wb.page.locator('.tabs-container .tab').filter({ hasText: 'run.log' }).waitFor({ state: 'visible' });

  // The window still works: the palette runs commands, the tree offers Resume on the failed run.
  await wb.runCommand('Fine-tune: Refresh');
  const menu = await wb.contextMenuItems(runRow());
  assert.ok(menu.includes('Resume'), `failed run menu: ${menu.join(' | ')}`);
});

flow('flow 6c: reloading the window during a run re-attaches the tree to it; the re-attached run stops', () => s, async () => {
  const { wb } = s;
  const runDir = onlyRunDir();
  await wb.showViewContainer('Fine-tune');
  await wb.contextMenu(runRow(), 'Resume');
  await waitForTraining('the run resumed after the kill to train');
  const before = readRunJson(runDir)!;

  await s.reloadWindow();
  await wb.showViewContainer('Fine-tune');
  // The same child trains on: the tree follows it from disk and its step keeps growing.
  const first = await waitForTraining('the re-attached run to show as training');
  await waitUntil(async () => Number(running.exec(await description())?.[1] ?? 0) > first, { timeoutMs: 60_000, what: 'the re-attached run\'s step to grow' });
  assert.equal(readRunJson(runDir)?.pid, before.pid, 'the child that trained before the reload still trains');
  await wb.screenshot('6d-reloaded-window-reattached-run');

  await wb.contextMenu(runRow(), 'Stop');
  await waitUntil(async () => (await description()).startsWith('stopped at'), { timeoutMs: 60_000, what: 'the re-attached run to stop' });
  assert.equal(readRunJson(runDir)?.status, 'stopped');
});
