// Section 3 (and 5, the forgetting monitor): live curves with chart.js. Rows arrive incrementally into the store;
// redraws are batched per animation frame and hand chart.js only decimated points (≤ 4 per pixel column).
import {
  CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, Tooltip,
} from 'chart.js';
import type { CurvesToWebview } from '../../src/contracts/curves.js';
import { CHARTS, chartLines, forgettingSummary, lineStyles, pointSummary, type ChartSpec, type DrawOptions } from './curves/charts.js';
import { CurveStore, toCsv } from './curves/store.js';
import { clear, h, tid } from './dom.js';
import { getUiState, post, setUiState } from './vscode-api.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, CategoryScale, Tooltip, Legend);

/** A frame stops drawing charts once this much time has passed (the rest wait for the next frame). */
const FRAME_BUDGET_MS = 30;
const PALETTE = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-red', '--vscode-charts-yellow'];
const FALLBACK = ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c', '#cca700'];

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

export class CurvesView {
  readonly store = new CurveStore();
  private charts = new Map<string, { chart: Chart; summary: HTMLElement; box: HTMLElement }>();
  private frame = 0;
  /** Charts still to redraw (ids). */
  private readonly pending = new Set<string>();
  private readonly runList: HTMLElement;
  private readonly status: HTMLElement;
  private opts: DrawOptions & { log: boolean };
  private remedy?: HTMLElement;

  constructor(private readonly root: HTMLElement) {
    const ui = getUiState();
    this.opts = { xAxis: ui.xAxis ?? 'step', smoothing: ui.smoothing ?? 0.6, width: 600, log: ui.log ?? false };
    this.runList = h('div', { class: 'run-list', testid: 'run-list', role: 'group', 'aria-label': 'Runs to overlay' });
    this.status = h('p', { class: 'muted', testid: 'curve-summary', 'aria-live': 'polite', text: 'No run shown yet: pick runs below or open one from the Experiments tree.' });
    clear(root, this.controls(), this.runList, this.status, h('div', { class: 'charts' }, CHARTS.map((c) => this.chartBox(c))));
    new ResizeObserver(() => this.schedule()).observe(root);
    // VS Code marks a theme change on body's class (vscode-light, vscode-dark, vscode-high-contrast) and style.
    new MutationObserver(() => {
      this.applyTheme();
      this.schedule();
    }).observe(document.body, { attributes: true, attributeFilter: ['class', 'style'] });
    this.applyTheme();
  }

  /** Axis, grid and legend colours from the theme's variables. */
  private applyTheme(): void {
    const fg = cssVar('--vscode-foreground', '#888');
    const grid = cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.3)');
    for (const { chart } of this.charts.values()) {
      const o = chart.options as unknown as {
        scales: Record<'x' | 'y', { ticks: { color: string }; grid: { color: string }; title?: { color: string } }>;
        plugins: { legend: { labels: { color: string } } };
      };
      for (const axis of [o.scales.x, o.scales.y]) {
        axis.ticks.color = fg;
        axis.grid.color = grid;
        if (axis.title) axis.title.color = fg;
      }
      o.plugins.legend.labels.color = fg;
    }
  }

  private controls(): HTMLElement {
    const smooth = h('input', { type: 'range', min: 0, max: 0.99, step: 0.01, value: this.opts.smoothing, testid: 'smoothing', 'aria-label': 'Smoothing' }) as HTMLInputElement;
    const smoothValue = h('span', { class: 'muted', text: this.opts.smoothing.toFixed(2) });
    smooth.addEventListener('input', () => {
      this.opts.smoothing = Number(smooth.value);
      smoothValue.textContent = this.opts.smoothing.toFixed(2);
      setUiState({ smoothing: this.opts.smoothing });
      this.schedule();
    });
    const log = h('vscode-checkbox', { checked: this.opts.log, testid: 'log-scale' }, 'Log scale');
    log.addEventListener('change', () => {
      this.opts.log = (log as unknown as { checked: boolean }).checked;
      setUiState({ log: this.opts.log });
      this.schedule();
    });
    const x = h('vscode-single-select', { testid: 'x-axis', 'aria-label': 'X axis' },
      h('vscode-option', { value: 'step', selected: this.opts.xAxis === 'step', text: 'x: step' }),
      h('vscode-option', { value: 'time', selected: this.opts.xAxis === 'time', text: 'x: training time (s)' }));
    x.addEventListener('change', () => {
      this.opts.xAxis = (x as unknown as { value: string }).value === 'time' ? 'time' : 'step';
      setUiState({ xAxis: this.opts.xAxis });
      this.schedule();
    });
    return h('div', { class: 'toolbar' },
      h('label', { class: 'inline' }, 'Smoothing ', smooth, smoothValue), log, x,
      h('vscode-button', { secondary: true, testid: 'export-csv', onclick: () => post({ type: 'curves/export', format: 'csv', name: 'curves.csv', data: toCsv(this.store) }) }, 'Export CSV'));
  }

  private chartBox(spec: ChartSpec): HTMLElement {
    const canvas = h('canvas', { testid: tid('chart', spec.id), role: 'img', 'aria-label': `${spec.title}: no points yet` }) as HTMLCanvasElement;
    const summary = h('p', { class: 'muted small', testid: tid('chart-summary', spec.id), text: 'no points yet' });
    const png = h('vscode-button', { secondary: true, 'aria-label': `Export ${spec.title} as PNG`, onclick: () => {
      const c = this.charts.get(spec.id)?.chart;
      if (c) post({ type: 'curves/export', format: 'png', name: `${spec.id}.png`, data: c.toBase64Image('image/png') });
    } }, 'PNG');
    const remedy = spec.id === 'forgetting' ? h('div', { testid: 'mix-remedy' }) : null;
    const box = h('figure', { class: 'chart', testid: tid('chart-box', spec.id) },
      h('figcaption', {}, h('span', { text: spec.title }), png), h('div', { class: 'canvas-wrap' }, canvas), summary, remedy);
    if (remedy) this.remedy = remedy;
    const fg = cssVar('--vscode-foreground', '#ccc');
    const grid = cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.3)');
    const chart = new Chart(canvas, {
      type: 'line',
      data: { datasets: [] },
      options: {
        animation: false,
        parsing: false,
        normalized: true,
        responsive: true,
        maintainAspectRatio: false,
        spanGaps: true,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        elements: { point: { radius: 0, hitRadius: 4 }, line: { borderWidth: 1.5 } },
        scales: {
          x: { type: 'linear', ticks: { color: fg, maxTicksLimit: 8 }, grid: { color: grid }, title: { display: true, text: 'step', color: fg } },
          y: { type: 'linear', ticks: { color: fg, maxTicksLimit: 6 }, grid: { color: grid } },
        },
        plugins: { legend: { labels: { color: fg, boxWidth: 12 } }, tooltip: { enabled: true } },
      },
    });
    this.charts.set(spec.id, { chart, summary, box });
    return box;
  }

  apply(m: CurvesToWebview): void {
    this.store.apply(m);
    if (m.type === 'curves/runs' || m.type === 'curves/status' || m.type === 'curves/reset' || m.type === 'curves/remove') {
      this.renderRunList();
      this.renderRemedy();
    }
    this.schedule();
  }

  private renderRunList(): void {
    const shown = new Set(this.store.runs.keys());
    const known = new Map(this.store.available.map((r) => [r.runDir, r]));
    for (const r of this.store.runs.values()) if (!known.has(r.runDir)) known.set(r.runDir, { runDir: r.runDir, label: r.label, status: r.status });
    clear(this.runList, [...known.values()].map((r) => {
      const status = this.store.runs.get(r.runDir)?.status ?? r.status;
      const cb = h('vscode-checkbox', { checked: shown.has(r.runDir), testid: tid('run-toggle', r.label), title: r.runDir }, `${r.label} (${status})`);
      cb.addEventListener('change', () => {
        const on = (cb as unknown as { checked: boolean }).checked;
        const next = [...shown].filter((d) => d !== r.runDir);
        if (on) next.push(r.runDir);
        post({ type: 'curves/show', runDirs: next });
      });
      return cb;
    }));
  }

  /** "Mix N% source data into training": one click writes retention.mix into the run's experiment file. */
  private renderRemedy(): void {
    if (!this.remedy) return;
    const runs = [...this.store.runs.values()].filter((r) => r.retention && r.mixSupported);
    clear(this.remedy, runs.map((r) => {
      const pctInput = h('input', { type: 'number', min: 1, max: 90, step: 1, value: 10, class: 'narrow num', testid: tid('mix-percent', r.label), 'aria-label': `Percent of source data to mix into ${r.label}'s training` });
      const apply = () => {
        const p = Math.min(90, Math.max(1, Number((pctInput as HTMLInputElement).value) || 10));
        post({ type: 'curves/mixRetention', runDir: r.runDir, mix: p / 100 });
      };
      return h('div', { class: 'remedy' }, runs.length > 1 ? h('span', { class: 'muted', text: `${r.label}:` }) : null, h('span', { text: 'Mix' }), pctInput,
        h('span', { text: '% source data into training' }), h('vscode-button', { secondary: true, testid: tid('mix-apply', r.label), title: `Writes retention.mix into the experiment file of ${r.label}`, onclick: apply }, 'Apply'));
    }));
  }

  /**
   * Redraws are batched per animation frame, however many messages arrived, and spread over frames: a frame draws
   * charts until FRAME_BUDGET_MS have passed and leaves the rest to the next, so with 100k-point runs on a busy
   * machine one frame never holds the webview for all seven charts.
   */
  private schedule(): void {
    for (const spec of CHARTS) this.pending.add(spec.id);
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => this.redraw());
  }

  private redraw(): void {
    this.frame = 0;
    const t0 = performance.now();
    const palette = PALETTE.map((v, i) => cssVar(v, FALLBACK[i]));
    const runOrder = [...this.store.runs.keys()];
    for (const spec of CHARTS) {
      if (!this.pending.delete(spec.id)) continue;
      this.drawChart(spec, palette, runOrder);
      if (performance.now() - t0 > FRAME_BUDGET_MS) break;
    }
    if (this.pending.size) this.frame = requestAnimationFrame(() => this.redraw());
    this.status.textContent = this.store.runs.size
      ? `Showing ${[...this.store.runs.values()].map((r) => `${r.label} (${r.status}, ${r.points('loss')} steps${r.skipped ? `, ${r.skipped} unreadable lines` : ''})`).join('; ')}`
      : 'No run shown yet: pick runs below or open one from the Experiments tree.';
    this.status.dataset.runs = String(this.store.runs.size);
  }

  private drawChart(spec: ChartSpec, palette: string[], runOrder: string[]): void {
    const c = this.charts.get(spec.id)!;
    const width = Math.max(50, c.chart.chartArea?.width ?? c.box.clientWidth ?? 600);
    const lines = chartLines(this.store, spec, { ...this.opts, width });
    c.box.hidden = lines.length === 0 && (spec.id === 'forgetting' || spec.id === 'eval-metric');
    const styles = lineStyles(lines, runOrder);
    c.chart.data.datasets = lines.map((l, i) => {
      const base = palette[styles[i].color % palette.length];
      return { label: l.label, data: l.points, borderColor: l.raw ? withAlpha(base, 0.3) : base, backgroundColor: base, borderDash: styles[i].dashed ? [6, 3] : [], borderWidth: l.raw ? 1 : 1.8 };
    });
    const scales = c.chart.options.scales as { x: { title: { text: string } }; y: { type: string } };
    scales.x.title.text = this.opts.xAxis === 'step' ? 'step' : 'training time (s)';
    scales.y.type = this.opts.log ? 'logarithmic' : 'linear';
    c.chart.update('none');
    const text = pointSummary(this.store, spec) + (spec.id === 'forgetting' ? forgettingSummary(this.store) : '');
    c.summary.textContent = text;
    c.chart.canvas.setAttribute('aria-label', `${spec.title}: ${text}`);
    c.chart.canvas.dataset.points = String(lines.filter((l) => !l.smoothed).reduce((n, l) => n + l.total, 0));
  }
}

function withAlpha(color: string, a: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(color);
  if (!m) return color;
  const n = parseInt(m[1], 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}
