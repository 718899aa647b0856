// Which series each chart plots, and the points a redraw hands to chart.js: smoothed where asked, decimated to
// the chart's width. Pure, so the bench and tests time and check exactly what the panel draws.
import { decimateMinMax } from './decimate.js';
import { emaDebiased } from './smooth.js';
import type { CurveStore, RunCurves, Series } from './store.js';

export interface ChartSpec {
  id: string;
  title: string;
  /** Keys of the run's series on this chart, with their legend suffix. */
  series(run: RunCurves): { key: string; name: string }[];
  /** Train loss gets a raw (faint) and a smoothed line. */
  smooth?: boolean;
  logDefault?: boolean;
}

const evalKeys = (run: RunCurves, metric: string) =>
  run.splits().filter((s) => run.get(`eval:${s}:${metric}`)).map((s) => ({ key: `eval:${s}:${metric}`, name: s }));

export const CHARTS: ChartSpec[] = [
  { id: 'train-loss', title: 'Train loss', series: () => [{ key: 'loss', name: 'train' }], smooth: true },
  { id: 'eval-loss', title: 'Eval loss', series: (r) => evalKeys(r, 'loss') },
  {
    id: 'eval-metric', title: 'Eval accuracy / perplexity',
    series: (r) => (r.task === 'causal-lm' ? evalKeys(r, 'perplexity') : evalKeys(r, 'accuracy')),
  },
  { id: 'forgetting', title: 'Forgetting monitor: new task vs retention set', series: (r) => forgettingKeys(r) },
  { id: 'lr', title: 'Learning rate', series: () => [{ key: 'lr', name: 'lr' }] },
  { id: 'grad-norm', title: 'Gradient norm', series: () => [{ key: 'gradNorm', name: 'grad norm' }] },
  { id: 'step-time', title: 'Step time (s)', series: () => [{ key: 'seconds', name: 'step time' }] },
];

/** The retention split's metric beside every other eval split's (accuracy, else loss). */
export function forgettingKeys(run: RunCurves): { key: string; name: string }[] {
  if (!run.retention) return [];
  const metric = run.get(`eval:${run.retention}:accuracy`) ? 'accuracy' : 'loss';
  return evalKeys(run, metric).map((k) => ({ ...k, name: k.name === run.retention ? `${k.name} (retention, ${metric})` : `${k.name} (${metric})` }));
}

export interface DrawOptions {
  xAxis: 'step' | 'time';
  /** 0 … 0.999: TensorBoard's smoothing weight. */
  smoothing: number;
  /** Chart width in pixels: one min/max bucket per pixel. */
  width: number;
}

export interface DrawnLine {
  runDir: string;
  key: string;
  label: string;
  smoothed: boolean;
  raw: boolean;
  points: { x: number; y: number }[];
  /** Points in the series (before decimation). */
  total: number;
}

/** The smoothed values of one line, reused from redraw to redraw: a fresh 100k-point array each time costs more than
 * the smoothing itself (allocation and collection). Only read until the line is decimated. */
let scratch = new Float64Array(0);

export function linePoints(s: Series, o: DrawOptions, smoothed: boolean): { x: number; y: number }[] {
  const xs = o.xAxis === 'step' ? s.step.view() : s.time.view();
  const n = s.value.length;
  if (smoothed && o.smoothing > 0 && scratch.length < n) scratch = new Float64Array(Math.max(n, 2 * scratch.length));
  const ys = smoothed && o.smoothing > 0 ? emaDebiased(s.value.view(), o.smoothing, scratch.subarray(0, n)) : s.value.view();
  const d = decimateMinMax(xs, ys, s.value.length, Math.max(1, Math.floor(o.width)));
  const out = new Array<{ x: number; y: number }>(d.x.length);
  for (let i = 0; i < d.x.length; i++) out[i] = { x: d.x[i], y: d.y[i] };
  return out;
}

/** Every line of one chart, for every shown run. */
export function chartLines(store: CurveStore, chart: ChartSpec, o: DrawOptions): DrawnLine[] {
  const lines: DrawnLine[] = [];
  const many = store.runs.size > 1;
  for (const run of store.runs.values()) {
    for (const { key, name } of chart.series(run)) {
      const s = run.get(key);
      if (!s) continue;
      const label = many ? `${run.label}: ${name}` : name;
      const total = s.value.length;
      if (chart.smooth && o.smoothing > 0) {
        lines.push({ runDir: run.runDir, key, label: `${label} (raw)`, smoothed: false, raw: true, points: linePoints(s, o, false), total });
        lines.push({ runDir: run.runDir, key, label: `${label} (smoothed)`, smoothed: true, raw: false, points: linePoints(s, o, true), total });
      } else {
        lines.push({ runDir: run.runDir, key, label, smoothed: false, raw: false, points: linePoints(s, o, false), total });
      }
    }
  }
  return lines;
}

/** "run-a: 1,234 points; run-b: 56 points" for a chart: the text summary beside each canvas. */
export function pointSummary(store: CurveStore, chart: ChartSpec): string {
  const parts: string[] = [];
  for (const run of store.runs.values()) {
    for (const { key, name } of chart.series(run)) {
      const n = run.points(key);
      if (n) parts.push(`${run.label} ${name}: ${n} points`);
    }
  }
  return parts.length ? parts.join('; ') : 'no points yet';
}

/** " — run: retention accuracy 0.99 → 0.12, validation accuracy 0.10 → 0.95": what forgetting cost so far. */
export function forgettingSummary(store: CurveStore): string {
  const parts: string[] = [];
  for (const run of store.runs.values()) {
    const changes = forgettingKeys(run).map(({ key, name }) => {
      const v = run.get(key)!.value;
      return `${name} ${v.data[0].toFixed(3)} → ${v.data[v.length - 1].toFixed(3)}`;
    });
    if (changes.length) parts.push(`${run.label}: ${changes.join(', ')}`);
  }
  return parts.length ? ` — ${parts.join('; ')}` : '';
}

/**
 * Colour (palette index) and dash of each line: one run shown, each series its own colour (the forgetting monitor's
 * new-task and retention lines read apart at a glance); several runs, a colour per run and a dash for every series
 * after the chart's first.
 */
export function lineStyles(lines: readonly DrawnLine[], runOrder: readonly string[]): { color: number; dashed: boolean }[] {
  const keys = [...new Set(lines.map((l) => l.key))];
  const runs = new Set(lines.map((l) => l.runDir));
  return lines.map((l) => runs.size <= 1
    ? { color: keys.indexOf(l.key), dashed: false }
    : { color: Math.max(0, runOrder.indexOf(l.runDir)), dashed: keys.indexOf(l.key) > 0 });
}
