// Loss and accuracy curves of a run, drawn from its metrics.jsonl as SVG (plain string templating) and converted
// to PNG with sharp. Two panels: training loss per step (raw and smoothed) with the eval losses, and eval accuracy.
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { readMetrics } from '../../src/core/experiment/run-dir.js';

interface StepRow { step: number; loss: number }
interface EvalRow { step: number; split: string; loss: number; accuracy?: number }

export interface RunCurves {
  steps: StepRow[];
  evals: Map<string, EvalRow[]>;
}

export function readCurves(runDir: string): RunCurves {
  const steps: StepRow[] = [];
  const evals = new Map<string, EvalRow[]>();
  for (const row of readMetrics(runDir)) {
    if (typeof row.split === 'string') {
      const r = row as unknown as EvalRow;
      if (!evals.has(r.split)) evals.set(r.split, []);
      evals.get(r.split)!.push(r);
    } else if (typeof row.loss === 'number' && typeof row.step === 'number') {
      steps.push({ step: row.step, loss: row.loss });
    }
  }
  return { steps, evals };
}

const W = 960, H = 440, TOP = 56, BOTTOM = 96, PANEL_W = 400, LEFT = [70, 540];
const LEGEND_Y = H - BOTTOM + 56;
const COLORS = ['#d95f02', '#1b9e77', '#7570b3', '#e7298a'];
const TRAIN_RAW = '#a6c8e6', TRAIN = '#1f5f9e';
const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (v: number) => (Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toPrecision(2).replace(/\.?0+$/, ''));

/** About `count` round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / count, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * step; v += step) out.push(Number(v.toFixed(10)));
  if (out.length === 0 || out[out.length - 1] < hi - 1e-9 * step) out.push(Number(((out.at(-1) ?? lo) + step).toFixed(10)));
  return out;
}

/** Exponential moving average, bias-corrected (as TensorBoard smooths). */
function smooth(values: number[], weight: number): number[] {
  let last = 0, n = 0;
  return values.map((v) => {
    last = last * weight + (1 - weight) * v;
    n++;
    return last / (1 - weight ** n);
  });
}

interface Panel {
  left: number;
  title: string;
  xMax: number;
  yMin: number;
  yMax: number;
  yFormat: (v: number) => string;
  /** Logarithmic y axis (yMin, yMax > 0). */
  log?: boolean;
}

/** Tick values for a log axis: powers of ten, with 2 and 5 between them when the range is short. */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  const decades = Math.log10(hi / lo);
  const mults = decades <= 2 ? [1, 2, 5] : decades <= 4 ? [1, 3] : [1];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of mults) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(Number(v.toPrecision(6)));
    }
  }
  return out;
}

function frame(p: Panel, yTicks: number[]): { svg: string; x: (v: number) => number; y: (v: number) => number } {
  const plotH = H - TOP - BOTTOM;
  const x = (v: number) => p.left + (v / p.xMax) * PANEL_W;
  const y = p.log
    ? (v: number) => TOP + plotH - (Math.log(Math.max(v, p.yMin) / p.yMin) / Math.log(p.yMax / p.yMin)) * plotH
    : (v: number) => TOP + plotH - ((v - p.yMin) / (p.yMax - p.yMin)) * plotH;
  const parts: string[] = [];
  parts.push(`<text x="${p.left + PANEL_W / 2}" y="${TOP - 14}" text-anchor="middle" font-size="15" font-weight="bold" ${FONT}>${esc(p.title)}</text>`);
  for (const t of yTicks) {
    parts.push(`<line x1="${p.left}" x2="${p.left + PANEL_W}" y1="${y(t)}" y2="${y(t)}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${p.left - 8}" y="${y(t) + 4}" text-anchor="end" font-size="11" fill="#444" ${FONT}>${esc(p.yFormat(t))}</text>`);
  }
  for (const t of ticks(0, p.xMax, 6).filter((t) => t <= p.xMax)) {
    parts.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${TOP + plotH}" y2="${TOP + plotH + 5}" stroke="#444"/>`);
    parts.push(`<text x="${x(t)}" y="${TOP + plotH + 19}" text-anchor="middle" font-size="11" fill="#444" ${FONT}>${fmt(t)}</text>`);
  }
  parts.push(`<rect x="${p.left}" y="${TOP}" width="${PANEL_W}" height="${plotH}" fill="none" stroke="#444"/>`);
  parts.push(`<text x="${p.left + PANEL_W / 2}" y="${TOP + plotH + 36}" text-anchor="middle" font-size="12" fill="#222" ${FONT}>step</text>`);
  return { svg: parts.join('\n'), x, y };
}

const polyline = (pts: [number, number][], color: string, width: number, extra = '') =>
  `<polyline fill="none" stroke="${color}" stroke-width="${width}" stroke-linejoin="round" ${extra} points="${pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ')}"/>`;
const dots = (pts: [number, number][], color: string) => pts.map(([a, b]) => `<circle cx="${a.toFixed(1)}" cy="${b.toFixed(1)}" r="3.5" fill="${color}"/>`).join('');

/** A legend under a panel: items left to right, wrapping at the panel's width. */
function legend(items: { label: string; color: string; dashed?: boolean; dot?: boolean }[], x0: number, y0: number): string {
  let x = x0, y = y0;
  return items.map((it) => {
    const width = 40 + it.label.length * 6.6;
    if (x > x0 && x + width > x0 + PANEL_W) {
      x = x0;
      y += 18;
    }
    const at = x;
    x += width;
    return legendItem(it, at, y);
  }).join('\n');
}

function legendItem(it: { label: string; color: string; dashed?: boolean; dot?: boolean }, x0: number, y: number): string {
  const line = `<line x1="${x0}" x2="${x0 + 22}" y1="${y}" y2="${y}" stroke="${it.color}" stroke-width="2.5"${it.dashed ? ' stroke-dasharray="5,3"' : ''}/>`;
  const dot = it.dot ? `<circle cx="${x0 + 11}" cy="${y}" r="3.5" fill="${it.color}"/>` : '';
  return `${line}${dot}<text x="${x0 + 28}" y="${y + 4}" font-size="11" fill="#222" ${FONT}>${esc(it.label)}</text>`;
}

/** The SVG of a run's curves; `title` goes on top. */
export function curvesSvg(curves: RunCurves, title: string): string {
  const { steps, evals } = curves;
  const splits = [...evals.keys()];
  const xMax = Math.max(1, ...steps.map((s) => s.step), ...[...evals.values()].flat().map((e) => e.step));
  const losses = [...steps.map((s) => s.loss), ...[...evals.values()].flat().map((e) => e.loss)].filter(Number.isFinite);
  // Losses spanning orders of magnitude (a head scoring classes it never saw starts at ~20) read on a log axis.
  const lo = Math.min(...losses.filter((l) => l > 0)), hi = Math.max(1e-6, ...losses);
  const log = losses.length > 0 && hi / lo > 30;
  let lossPanel: Panel, lossTicks: number[];
  if (log) {
    const yMin = 10 ** Math.floor(Math.log10(lo)), yMax = 10 ** Math.ceil(Math.log10(hi));
    lossTicks = logTicks(yMin, yMax);
    lossPanel = { left: LEFT[0], title: 'Loss (log scale)', xMax, yMin, yMax, yFormat: fmt, log };
  } else {
    lossTicks = ticks(0, hi * 1.05, 5);
    lossPanel = { left: LEFT[0], title: 'Loss', xMax, yMin: 0, yMax: lossTicks.at(-1)!, yFormat: fmt };
  }
  const accPanel: Panel = { left: LEFT[1], title: 'Eval accuracy', xMax, yMin: 0, yMax: 1, yFormat: (v) => `${Math.round(v * 100)}%` };

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="14" fill="#222" ${FONT}>${esc(title)}</text>`);

  const lf = frame(lossPanel, lossTicks);
  out.push(lf.svg);
  if (steps.length) {
    out.push(polyline(steps.map((s) => [lf.x(s.step), lf.y(s.loss)]), TRAIN_RAW, 1));
    const sm = smooth(steps.map((s) => s.loss), steps.length > 20 ? 0.8 : 0.5);
    out.push(polyline(steps.map((s, i) => [lf.x(s.step), lf.y(sm[i])]), TRAIN, 2.5));
  }
  splits.forEach((split, i) => {
    const pts = evals.get(split)!.filter((e) => Number.isFinite(e.loss)).map((e) => [lf.x(e.step), lf.y(e.loss)] as [number, number]);
    out.push(polyline(pts, COLORS[i % COLORS.length], 2, 'stroke-dasharray="5,3"') + dots(pts, COLORS[i % COLORS.length]));
  });
  out.push(legend([
    { label: 'train loss', color: TRAIN }, { label: 'train loss (per step)', color: TRAIN_RAW },
    ...splits.map((s, i) => ({ label: `${s} loss`, color: COLORS[i % COLORS.length], dashed: true, dot: true })),
  ], LEFT[0], LEGEND_Y));

  const af = frame(accPanel, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  out.push(af.svg);
  const withAcc = splits.filter((s) => evals.get(s)!.some((e) => e.accuracy !== undefined));
  withAcc.forEach((split) => {
    const color = COLORS[splits.indexOf(split) % COLORS.length];
    const pts = evals.get(split)!.filter((e) => e.accuracy !== undefined).map((e) => [af.x(e.step), af.y(e.accuracy!)] as [number, number]);
    out.push(polyline(pts, color, 2.5) + dots(pts, color));
  });
  if (withAcc.length) out.push(legend(withAcc.map((s) => ({ label: s, color: COLORS[splits.indexOf(s) % COLORS.length], dot: true })), LEFT[1], LEGEND_Y));
  else out.push(`<text x="${LEFT[1] + PANEL_W / 2}" y="${TOP + 150}" text-anchor="middle" font-size="12" fill="#888" ${FONT}>no accuracy (not a classification run)</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Writes `loss-curves.svg` and `loss-curves.png` into the run directory; returns their paths. */
export async function writeCurves(runDir: string, title = path.basename(runDir)): Promise<{ svg: string; png: string }> {
  const svgText = curvesSvg(readCurves(runDir), title);
  const svg = path.join(runDir, 'loss-curves.svg'), png = path.join(runDir, 'loss-curves.png');
  fs.writeFileSync(svg, svgText);
  await sharp(Buffer.from(svgText), { density: 144 }).png().toFile(png);
  return { svg, png };
}
