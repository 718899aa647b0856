// The panel's copy of each shown run's metrics, grown in place as rows arrive (never rebuilt from scratch).
import type { CurvesToWebview, MetricRow } from '../../../src/contracts/curves.js';

/** A Float64Array that doubles when full. */
export class Growable {
  data = new Float64Array(256);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

export interface Series {
  step: Growable;
  /** Training time (sum of step seconds) when the point was logged: the "wall time" axis. */
  time: Growable;
  value: Growable;
  /** Bumped on every append, so views redraw only what changed. */
  version: number;
}

export type Task = 'classification' | 'regression' | 'causal-lm';
export const STEP_KEYS = ['loss', 'lr', 'gradNorm', 'seconds'] as const;

export class RunCurves {
  readonly series = new Map<string, Series>();
  status = 'unknown';
  skipped = 0;
  private elapsed = 0;
  constructor(readonly runDir: string, readonly label: string, readonly task: Task, readonly retention?: string) {}

  get(key: string): Series | undefined {
    return this.series.get(key);
  }

  private push(key: string, step: number, value: number): void {
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { step: new Growable(), time: new Growable(), value: new Growable(), version: 0 }));
    s.step.push(step);
    s.time.push(this.elapsed);
    s.value.push(value);
    s.version++;
  }

  append(rows: MetricRow[]): void {
    for (const r of rows) {
      if (r.split === undefined) {
        this.elapsed += r.seconds ?? 0;
        for (const k of STEP_KEYS) if (r[k] !== undefined) this.push(k, r.step, r[k]!);
      } else {
        if (r.loss !== undefined) this.push(`eval:${r.split}:loss`, r.step, r.loss);
        if (r.accuracy !== undefined) this.push(`eval:${r.split}:accuracy`, r.step, r.accuracy);
        if (r.loss !== undefined && this.task === 'causal-lm') this.push(`eval:${r.split}:perplexity`, r.step, Math.exp(r.loss));
      }
    }
  }

  /** Eval splits in the order they first appeared. */
  splits(): string[] {
    return [...new Set([...this.series.keys()].filter((k) => k.startsWith('eval:')).map((k) => k.split(':')[1]))];
  }

  points(key: string): number {
    return this.series.get(key)?.value.length ?? 0;
  }
}

/** Applies the host's curve messages; returns the run that changed (undefined when only the run list did). */
export class CurveStore {
  readonly runs = new Map<string, RunCurves>();
  available: { runDir: string; label: string; status: string }[] = [];

  apply(m: CurvesToWebview): string | undefined {
    switch (m.type) {
      case 'curves/runs':
        this.available = m.available;
        for (const d of [...this.runs.keys()]) if (!m.shown.includes(d)) this.runs.delete(d);
        return undefined;
      case 'curves/reset':
        this.runs.set(m.runDir, new RunCurves(m.runDir, m.label, m.task, m.retention));
        return m.runDir;
      case 'curves/append': {
        const r = this.runs.get(m.runDir);
        if (!r) return undefined;
        r.append(m.rows);
        r.skipped += m.skipped ?? 0;
        return m.runDir;
      }
      case 'curves/status': {
        const r = this.runs.get(m.runDir);
        if (r) r.status = m.status;
        return m.runDir;
      }
      case 'curves/remove':
        this.runs.delete(m.runDir);
        return m.runDir;
    }
  }
}

/** All shown points as CSV: one line per run, series and point. */
export function toCsv(store: CurveStore): string {
  const lines = ['run,series,step,time_s,value'];
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  for (const r of store.runs.values()) {
    for (const [key, s] of r.series) {
      for (let i = 0; i < s.value.length; i++) lines.push(`${q(r.label)},${q(key)},${s.step.data[i]},${s.time.data[i]},${s.value.data[i]}`);
    }
  }
  return lines.join('\n') + '\n';
}
