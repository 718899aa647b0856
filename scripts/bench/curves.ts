/**
 * The panel's live-curve path at 100,000 points per curve, timed in Node without a display: the host's blocked
 * time per incremental update (tail metrics.jsonl + parse + build the message), and the webview's work per update
 * (validate the message, append to the store) and per redraw (smooth + min/max-decimate every chart to its width).
 * chart.js's own drawing of the ≤ 4 points per pixel column it is handed is not timed here (needs a browser).
 *   node out/scripts/bench/curves.js
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseToWebview } from '../../src/contracts/panel.js';
import { MetricsTail } from '../../src/extension/runs/metrics-tail.js';
import { CHARTS, chartLines } from '../../webview-ui/src/curves/charts.js';
import { CurveStore } from '../../webview-ui/src/curves/store.js';

const POINTS = 100_000;
const DELTA = 20; // rows per live update (a fast run logs about this many between two 1 s polls)
const WIDTH = 800;

function line(s: number): string {
  return JSON.stringify({ step: s, loss: 2 * Math.exp(-s / 20000) + 0.1 * Math.sin(s), lr: 1e-3 * (1 - s / POINTS), gradNorm: 1 + Math.cos(s / 7), seconds: 0.05, epoch: 0 }) + '\n';
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)];
const ms = (x: number) => `${x.toFixed(1)} ms`;

/** Wall and CPU time of a piece of work: on a shared machine the wall time also counts other processes. */
class Timer {
  wall: number[] = [];
  cpu: number[] = [];
  async time<T>(f: () => T | Promise<T>): Promise<T> {
    const w = performance.now(), c = process.cpuUsage();
    const r = await f();
    const d = process.cpuUsage(c);
    this.wall.push(performance.now() - w);
    this.cpu.push((d.user + d.system) / 1000);
    return r;
  }
  text(): string {
    return `median ${ms(median(this.cpu))} CPU / ${ms(median(this.wall))} wall, p90 ${ms(p90(this.cpu))} CPU / ${ms(p90(this.wall))} wall, max ${ms(Math.max(...this.cpu))} CPU / ${ms(Math.max(...this.wall))} wall`;
  }
}

export async function benchCurves(): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-curves-'));
  try {
    const file = path.join(dir, 'metrics.jsonl');
    let text = '';
    for (let s = 1; s <= POINTS; s++) {
      text += line(s);
      if (s % 1000 === 0) text += JSON.stringify({ step: s, split: 'validation', loss: 1 / s, accuracy: s / POINTS, examples: 100 }) + '\n';
    }
    fs.writeFileSync(file, text);

    // Catch-up: a webview opening on a finished 100k-step run reads the file in chunks, one event-loop turn each.
    const tail = new MetricsTail(dir);
    const store = new CurveStore();
    store.apply({ type: 'curves/reset', runDir: dir, label: 'bench', task: 'classification' });
    const host = new Timer(), webview = new Timer();
    const update = async () => {
      // The host's turn: read what was appended, parse it, serialize the message as postMessage does.
      const { json, more } = await host.time(async () => {
        const r = await tail.read();
        return { json: JSON.stringify({ type: 'curves/append', runDir: dir, rows: r.rows }), more: r.more };
      });
      await webview.time(() => store.apply(parseToWebview(JSON.parse(json)) as never));
      return more;
    };
    while (await update());
    const catchUp = `${host.wall.length} reads: host ${host.text()}; webview ${webview.text()}`;
    const points = store.runs.get(dir)!.points('loss');

    // Live: DELTA new rows per update, 50 updates.
    host.wall = []; host.cpu = []; webview.wall = []; webview.cpu = [];
    for (let u = 0; u < 50; u++) {
      let add = '';
      for (let k = 1; k <= DELTA; k++) add += line(POINTS + u * DELTA + k);
      fs.appendFileSync(file, add);
      await update();
    }

    // Redraw: every chart's lines, smoothed (train loss) and decimated to the chart width.
    // The panel spreads a redraw over animation frames, a chart at a time (30 ms per frame, then it yields): one
    // chart is the work a frame cannot split.
    const redraw = new Timer(), chart = new Timer();
    let drawn = 0;
    for (let i = 0; i < 30; i++) {
      drawn = 0;
      await redraw.time(async () => {
        for (const c of CHARTS) {
          await chart.time(() => {
            for (const l of chartLines(store, c, { xAxis: i % 2 ? 'time' : 'step', smoothing: 0.6, width: WIDTH })) drawn += l.points.length;
          });
        }
      });
    }
    return [
      `panel curves: ${points.toLocaleString('en-US')} points per step curve, ${CHARTS.length} charts; timed in Node without a display (load average ${os.loadavg()[0].toFixed(1)} on ${os.availableParallelism()} cores):`,
      `  opening a finished run (whole metrics.jsonl, read in chunks), ${catchUp}`,
      `  live update of ${DELTA} rows: host blocked ${host.text()} (budget 50 ms)`,
      `  live update of ${DELTA} rows: webview validate + append ${webview.text()}`,
      `  redraw of all charts (EMA smoothing + min/max decimation to ${WIDTH} px, ${drawn.toLocaleString('en-US')} points handed to chart.js): ${redraw.text()} (budget 100 ms)`,
      `  of which one chart (the most a frame draws past its 30 ms): ${chart.text()}`,
      '  (chart.js drawing those points is not timed here: it needs a browser)',
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const l of await benchCurves()) console.log(l);
}
