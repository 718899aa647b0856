// The webview's curve logic: TensorBoard's debiased EMA, min/max decimation, the incremental store and what each
// chart plots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHARTS, chartLines, forgettingSummary, lineStyles, pointSummary } from '../../webview-ui/src/curves/charts.js';
import { decimateMinMax } from '../../webview-ui/src/curves/decimate.js';
import { emaDebiased } from '../../webview-ui/src/curves/smooth.js';
import { CurveStore, toCsv } from '../../webview-ui/src/curves/store.js';

test('debiased EMA: first point unchanged, constants stay constant, matches the formula, NaN passes through', () => {
  const y = [4, 2, 6, NaN, 1];
  const w = 0.6;
  const out = emaDebiased(y, w);
  assert.equal(out[0], 4); // no pull towards zero
  // TensorBoard: last = last*w + (1-w)*v; smoothed = last / (1 - w^n), n = finite points so far
  let last = 0, n = 0;
  const expect = y.map((v) => (Number.isFinite(v) ? ((last = last * w + (1 - w) * v), n++, last / (1 - w ** n)) : v));
  out.forEach((v, i) => (Number.isNaN(expect[i]) ? assert.ok(Number.isNaN(v)) : assert.ok(Math.abs(v - expect[i]) < 1e-12, `point ${i}`)));
  assert.deepEqual([...emaDebiased([3, 3, 3], 0.9)].map((v) => Number(v.toFixed(12))), [3, 3, 3]);
  assert.deepEqual([...emaDebiased([1, 5], 0)], [1, 5]);
});

test('min/max decimation keeps every extreme, the ends, x order, and at most 4 points per bucket', () => {
  const n = 100_000;
  const x = Float64Array.from({ length: n }, (_, i) => i);
  const y = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 100));
  y[31_337] = 50; // a spike
  y[77_777] = -50;
  const d = decimateMinMax(x, y, n, 500);
  assert.ok(d.x.length <= 2000 && d.x.length >= 1000, `${d.x.length} points`);
  assert.equal(Math.max(...d.y), 50);
  assert.equal(Math.min(...d.y), -50);
  assert.equal(d.x[0], 0);
  assert.equal(d.x.at(-1), n - 1);
  for (let i = 1; i < d.x.length; i++) assert.ok(d.x[i] > d.x[i - 1]);
  // Few points: returned as they are.
  assert.deepEqual(decimateMinMax([1, 2, 3], [3, 1, 2], 3, 10), { x: [1, 2, 3], y: [3, 1, 2] });
  assert.deepEqual(decimateMinMax([], [], 0, 10), { x: [], y: [] });
});

test('the store grows series in place from appended rows; training time sums step seconds; resets start over', () => {
  const s = new CurveStore();
  s.apply({ type: 'curves/reset', runDir: '/r', label: 'run', task: 'causal-lm', retention: 'source' });
  s.apply({ type: 'curves/append', runDir: '/r', rows: [{ step: 1, loss: 3, lr: 0.1, gradNorm: 2, seconds: 0.5 }, { step: 1, split: 'validation', loss: Math.log(20) }] });
  s.apply({ type: 'curves/append', runDir: '/r', rows: [{ step: 2, loss: 2, lr: 0.1, gradNorm: 1, seconds: 0.25 }] });
  const r = s.runs.get('/r')!;
  assert.deepEqual([...r.get('loss')!.value.view()], [3, 2]);
  assert.deepEqual([...r.get('loss')!.time.view()], [0.5, 0.75]);
  assert.ok(Math.abs(r.get('eval:validation:perplexity')!.value.data[0] - 20) < 1e-9);
  assert.deepEqual(r.splits(), ['validation']);
  for (let i = 3; i < 1000; i++) s.apply({ type: 'curves/append', runDir: '/r', rows: [{ step: i, loss: 1 }] });
  assert.equal(r.points('loss'), 999);
  s.apply({ type: 'curves/append', runDir: '/unknown', rows: [{ step: 1, loss: 1 }] }); // ignored
  s.apply({ type: 'curves/reset', runDir: '/r', label: 'run', task: 'classification' });
  assert.equal(s.runs.get('/r')!.points('loss'), 0);
  s.apply({ type: 'curves/runs', available: [], shown: [] });
  assert.equal(s.runs.size, 0);
});

test('charts: train loss raw + smoothed, every eval split, the forgetting monitor beside the retention split; summaries count points', () => {
  const s = new CurveStore();
  s.apply({ type: 'curves/reset', runDir: '/a', label: 'a', task: 'classification', retention: 'source' });
  const rows = [];
  for (let i = 1; i <= 3000; i++) rows.push({ step: i, loss: 1 / i, lr: 1e-3, gradNorm: 1, seconds: 0.1 });
  rows.push({ step: 3000, split: 'validation', loss: 0.2, accuracy: 0.9 }, { step: 3000, split: 'source', loss: 2, accuracy: 0.3 });
  rows.unshift({ step: 0, split: 'validation', loss: 2, accuracy: 0.1 }, { step: 0, split: 'source', loss: 0.1, accuracy: 0.99 });
  s.apply({ type: 'curves/append', runDir: '/a', rows });
  const byId = Object.fromEntries(CHARTS.map((c) => [c.id, c]));
  const train = chartLines(s, byId['train-loss'], { xAxis: 'step', smoothing: 0.9, width: 100 });
  assert.deepEqual(train.map((l) => l.label), ['train (raw)', 'train (smoothed)']);
  assert.ok(train.every((l) => l.points.length <= 400 && l.total === 3000));
  assert.ok(train[1].points.at(-1)!.y > train[0].points.at(-1)!.y, 'the smoothed tail lags above a falling raw curve');
  assert.deepEqual(chartLines(s, byId['forgetting'], { xAxis: 'step', smoothing: 0, width: 100 }).map((l) => l.label), ['validation (accuracy)', 'source (retention, accuracy)']);
  assert.equal(pointSummary(s, byId['eval-loss']), 'a validation: 2 points; a source: 2 points');
  assert.equal(forgettingSummary(s), ' — a: validation (accuracy) 0.100 → 0.900, source (retention, accuracy) 0.990 → 0.300');
  const byTime = chartLines(s, byId['lr'], { xAxis: 'time', smoothing: 0, width: 2000 });
  assert.ok(Math.abs(byTime[0].points.at(-1)!.x - 300) < 1e-6);
  const csv = toCsv(s).split('\n');
  assert.equal(csv[0], 'run,series,step,time_s,value');
  assert.equal(csv.length, 1 + 4 * 3000 + 2 * 2 * 2 + 1); // header, step series, eval loss+accuracy of 2 splits at 2 steps, final newline
});

test('line styles: one run, a colour per series (raw and smoothed share it); several runs, a colour per run and dashes after the first series', () => {
  const s = new CurveStore();
  for (const d of ['/a', '/b']) s.apply({ type: 'curves/reset', runDir: d, label: d, task: 'classification', retention: 'source' });
  const rows = [{ step: 1, loss: 1, lr: 1e-3, gradNorm: 1, seconds: 0.1 }, { step: 1, split: 'validation', loss: 1, accuracy: 0.1 }, { step: 1, split: 'source', loss: 1, accuracy: 0.9 }];
  s.apply({ type: 'curves/append', runDir: '/b', rows });
  const byId = Object.fromEntries(CHARTS.map((c) => [c.id, c]));
  const opts = { xAxis: 'step' as const, smoothing: 0.5, width: 100 };
  // Only /b has rows: its two forgetting lines get two colours, neither dashed.
  assert.deepEqual(lineStyles(chartLines(s, byId['forgetting'], opts), ['/a', '/b']), [{ color: 0, dashed: false }, { color: 1, dashed: false }]);
  assert.deepEqual(lineStyles(chartLines(s, byId['train-loss'], opts), ['/a', '/b']), [{ color: 0, dashed: false }, { color: 0, dashed: false }]);
  s.apply({ type: 'curves/append', runDir: '/a', rows });
  assert.deepEqual(lineStyles(chartLines(s, byId['forgetting'], opts), ['/a', '/b']),
    [{ color: 0, dashed: false }, { color: 0, dashed: true }, { color: 1, dashed: false }, { color: 1, dashed: true }]);
});
