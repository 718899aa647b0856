// The panel's host side without VS Code: nothing is sent before "ready", each section's state after it, edits go
// to the experiment file, curves arrive incrementally, bad messages are refused, heavy jobs run in a worker thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ToWebview } from '../../src/contracts/panel.js';
import { inProcessJobs } from '../../src/extension/panel/jobs-run.js';
import { workerJobs } from '../../src/extension/panel/jobs.js';
import { PanelHost, unfreezeOrder } from '../../src/extension/panel/panel-host.js';
import { schemaHas } from '../../src/extension/panel/experiment-file.js';
import { modelParams } from '../../src/extension/panel/jobs-run.js';
import type { PanelDeps } from '../../src/extension/panel/deps.js';
import type { RunEvent } from '../../src/core/experiment/events.js';
import { DIGITS_MODEL, digitsExperiment, digitsRun, tmp } from './fixtures.js';

function harness(runs: string[] = [], experiment = '') {
  const sent: ToWebview[] = [];
  const logs: string[] = [];
  let listener: ((runDir: string, e: RunEvent) => void) | undefined;
  const deps: PanelDeps = {
    onRunEvent: (l) => ((listener = l), { dispose: () => (listener = undefined) }),
    listRuns: async () => runs.map((runDir) => ({ runDir, label: path.basename(runDir), experimentFile: experiment, status: 'completed' as const })),
    log: (m) => logs.push(m),
  };
  const host = new PanelHost((m) => sent.push(structuredClone(m)), deps, inProcessJobs, { saveFile: async () => true });
  const of = <T extends ToWebview['type']>(type: T) => sent.filter((m): m is Extract<ToWebview, { type: T }> => m.type === type);
  return { host, sent, logs, of, event: (runDir: string) => listener?.(runDir, { type: 'log', level: 'info', message: 'x' }) };
}

test('nothing goes to the webview before "ready"; then the shown section and its state', async () => {
  const dir = tmp();
  const csv = path.join(dir, 'd.csv');
  fs.writeFileSync(csv, 'a,b\n"the parcel came two days late and damaged",neg\n"exactly what I ordered, thanks a lot",pos\n"fine, nothing special at all",neutral\n"would not buy this again, it broke",neg\n"great value for the money, recommended",pos\n');
  const h = harness();
  await h.host.show({ section: 'preview', file: csv });
  assert.equal(h.sent.length, 0);
  await h.host.receive({ type: 'panel/ready' });
  assert.deepEqual(h.sent[0], { type: 'panel/show', section: 'preview' });
  const state = h.of('preview/state')[0];
  assert.deepEqual(state.columns, [{ name: 'a', role: 'text' }, { name: 'b', role: 'label' }]);
  assert.deepEqual(state.labelDistribution, { neg: 2, pos: 2, neutral: 1 });
  // The user picks roles: text → ignore, b → text.
  await h.host.receive({ type: 'preview/setRole', column: 'a', role: 'ignore' });
  await h.host.receive({ type: 'preview/setRole', column: 'b', role: 'text' });
  const last = h.of('preview/state').at(-1)!;
  assert.deepEqual(last.columns.map((c) => c.role), ['ignore', 'text']);
  assert.deepEqual(last.picked, { a: 'ignore', b: 'text' });
  h.host.dispose();
});

test('freeze toggles and presets are written to the experiment file, and the state comes back from it', async () => {
  const file = digitsExperiment({ groups: [{ match: ['classifier.0.*'], lrScale: 0.5, weightDecay: 0 }] });
  const h = harness();
  await h.host.receive({ type: 'panel/ready' });
  await h.host.show({ section: 'model', experimentFile: file });
  const s0 = h.of('model/state').at(-1)!;
  assert.equal(s0.total, 38_282);
  assert.equal(s0.trainable, 33_482);
  assert.deepEqual(s0.blocks, ['features.0', 'features.2']);

  await h.host.receive({ type: 'model/toggle', kind: 'module', path: 'classifier.0', frozen: true });
  const written = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.deepEqual(written.freeze, ['features.*', 'classifier.0.*']);
  assert.deepEqual(written.groups, [{ match: ['classifier.0.*'], lrScale: 0.5, weightDecay: 0 }], 'other fields untouched');
  assert.equal(h.of('model/state').at(-1)!.trainable, 650);

  await h.host.receive({ type: 'model/preset', preset: 'lastBlocks', blocks: 1 });
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')).freeze, ['features.0.*']);
  await h.host.receive({ type: 'model/preset', preset: 'all' });
  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).freeze, undefined);
  await h.host.receive({ type: 'model/setGroups', groups: [{ match: ['features.*'], lrScale: 0.1 }] });
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')).groups, [{ match: ['features.*'], lrScale: 0.1 }]);

  // File → panel: an edit on disk shows after the controller's watcher calls sendModel.
  fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), freeze: ['classifier.*'] }));
  await h.host.sendModel();
  assert.equal(h.of('model/state').at(-1)!.trainable, 4_800);
  // A file the engine would refuse is reported, not written over.
  fs.writeFileSync(file, '{"model": 3}');
  await h.host.sendModel();
  assert.match(h.of('model/error').at(-1)!.message, /invalid experiment/);
  h.host.dispose();
});

test('curves: the whole file once, then only new rows; status changes; a bad message is refused and logged', async () => {
  const run = await digitsRun();
  const h = harness([run.runDir]);
  await h.host.receive({ type: 'panel/ready' });
  await h.host.show({ section: 'curves', runDirs: [run.runDir] });
  assert.deepEqual(h.of('curves/runs').at(-1), { type: 'curves/runs', available: [{ runDir: run.runDir, label: path.basename(run.runDir), status: 'completed' }], shown: [run.runDir] });
  assert.deepEqual(h.of('curves/reset').at(-1), { type: 'curves/reset', runDir: run.runDir, label: path.basename(run.runDir), task: 'classification', retention: 'retention (digits 0-4)', mixSupported: true });
  const first = h.of('curves/append').flatMap((m) => m.rows);
  assert.equal(first.length, 100 + 4);
  assert.deepEqual(h.of('curves/status').at(-1), { type: 'curves/status', runDir: run.runDir, status: 'completed' });

  const before = h.sent.length;
  fs.appendFileSync(path.join(run.runDir, 'metrics.jsonl'), '{"step":101,"loss":0.01,"lr":0.001,"gradNorm":1,"seconds":0.01}\n');
  h.event(run.runDir); // a RunEvent of that run
  await h.host.pump(run.runDir);
  const after = h.sent.slice(before);
  assert.deepEqual(after, [{ type: 'curves/append', runDir: run.runDir, rows: [{ step: 101, loss: 0.01, lr: 0.001, gradNorm: 1, seconds: 0.01 }] }]);

  await h.host.receive({ type: 'curves/show', runDirs: [] });
  assert.deepEqual(h.of('curves/remove').at(-1), { type: 'curves/remove', runDir: run.runDir });

  const n = h.sent.length;
  await h.host.receive({ type: 'model/toggle', kind: 'layer', path: 'x', frozen: true });
  assert.equal(h.sent.length, n);
  assert.match(h.logs.at(-1)!, /ignored a bad message: model\/toggle\.kind: expected one of module, param/);
  h.host.dispose();
});

test('diff: checkpoint options from the runs, then the result; a reload ("ready" again) resends every section', async () => {
  const run = await digitsRun();
  const h = harness([run.runDir]);
  await h.host.show({ section: 'diff', a: run.checkpoints[0], b: run.checkpoints[1] });
  await h.host.receive({ type: 'panel/ready' });
  assert.deepEqual(h.of('diff/options')[0].checkpoints.map((c) => c.step), [50, 100]);
  const r = h.of('diff/result')[0];
  assert.deepEqual(r.predictions.missing.length, 2);
  assert.equal(r.modules.filter((m) => m.frozen).length, 2);
  await h.host.receive({ type: 'panel/ready' });
  assert.equal(h.of('diff/result').length, 2);
  h.host.dispose();
});

test('heavy jobs run in a worker thread and report errors as messages', async () => {
  const workerFile = fileURLToPath(new URL('../../src/extension/panel/jobs-worker.js', import.meta.url));
  const jobs = workerJobs(workerFile);
  try {
    const run = await digitsRun();
    const d = await jobs.run({ kind: 'diff', a: run.checkpoints[0], b: run.checkpoints[1] });
    assert.deepEqual(d.modules.map((m) => m.path), ['features.0', 'features.2', 'classifier.0', 'classifier.2'], 'module names from the run’s model');
    await assert.rejects(jobs.run({ kind: 'preview', file: path.join(tmp(), 'missing.csv'), opts: {} }), /missing\.csv/);
  } finally {
    jobs.dispose();
  }
});

test('gradual unfreezing and the retention mix are written where the engine knows them, refused with a notice where not', async () => {
  const file = digitsExperiment({ retention: { name: 'source', data: 'source.csv' } });
  const run = await digitsRun();
  const h = harness([run.runDir], file);
  await h.host.receive({ type: 'panel/ready' });
  await h.host.show({ section: 'model', experimentFile: file });
  assert.equal(h.of('model/state').at(-1)!.unfreezeSupported, schemaHas('unfreeze'));
  assert.deepEqual(unfreezeOrder(modelParams(DIGITS_MODEL)), [['features.2.*'], ['features.0.*']]);

  const before = fs.readFileSync(file, 'utf8');
  await h.host.receive({ type: 'model/setUnfreeze', every: 50 });
  await h.host.receive({ type: 'curves/mixRetention', runDir: run.runDir, mix: 0.1 });
  const after = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (schemaHas('unfreeze')) assert.deepEqual(after.unfreeze, { every: 50, order: [['features.2.*'], ['features.0.*']] });
  if (schemaHas('retention.mix')) assert.equal(after.retention.mix, 0.1);
  if (!schemaHas('unfreeze') && !schemaHas('retention.mix')) {
    assert.equal(fs.readFileSync(file, 'utf8'), before, 'nothing written that the engine would refuse');
    assert.deepEqual(h.of('panel/notice').map((n) => n.level), ['error', 'error']);
    assert.match(h.of('panel/notice')[0].message, /unfreeze is not a known field/);
  }
  await h.host.receive({ type: 'curves/mixRetention', runDir: '/elsewhere', mix: 0.1 });
  assert.match(h.of('panel/notice').at(-1)!.message, /no experiment file is known for \/elsewhere/);
  h.host.dispose();
});
