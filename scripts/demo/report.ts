// The demo's closing table: accuracy before/after per eval split, parameters, speed, where the run is.
import type { EvalMetric, RunSummary } from '../../src/core/experiment/events.js';

export interface ReportOptions {
  /** Display names per eval split (`validation` → "digits 5-9: target task"). */
  splitNames?: Record<string, string>;
  /** Which split the demo is judged on (default `validation`). */
  targetSplit?: string;
  wallSeconds: number;
  runDir: string;
  curves?: string;
  frozen?: string[];
  /** What the eval rows count (default `examples`). */
  unit?: string;
}

const pct = (m: EvalMetric | undefined) => (m?.accuracy === undefined ? '—' : `${(100 * m.accuracy).toFixed(1)}%`);
const num = (n: number) => n.toLocaleString('en-US');

/** Accuracy on the target split before and after (undefined when the run has no such split). */
export function targetGain(summary: RunSummary, split = 'validation'): { before: number; after: number } | undefined {
  const b = summary.before.find((m) => m.split === split)?.accuracy;
  const a = summary.after.find((m) => m.split === split)?.accuracy;
  return b === undefined || a === undefined ? undefined : { before: b, after: a };
}

export function formatReport(summary: RunSummary, o: ReportOptions): string {
  const splits = [...new Set([...summary.before, ...summary.after].map((m) => m.split))];
  const name = (s: string) => o.splitNames?.[s] ?? s;
  const rows: [string, string, string, string][] = splits.map((s) => {
    const b = summary.before.find((m) => m.split === s), a = summary.after.find((m) => m.split === s);
    let note = '';
    if (b?.accuracy !== undefined && a?.accuracy !== undefined) {
      const d = 100 * (a.accuracy - b.accuracy);
      note = `${d >= 0 ? '+' : ''}${d.toFixed(1)} pts${s !== (o.targetSplit ?? 'validation') && d <= -10 ? '  ← forgetting' : ''}`;
    }
    return [`${name(s)} (${num((a ?? b)!.examples)} ${o.unit ?? 'examples'})`, pct(b), pct(a), note];
  });
  const w0 = Math.max(28, ...rows.map((r) => r[0].length));
  const line = (c: string[]) => `  ${c[0].padEnd(w0)}  ${c[1].padStart(8)}  ${c[2].padStart(8)}  ${c[3]}`.trimEnd();
  const kv = (k: string, v: string) => `  ${k.padEnd(w0)}  ${v}`;
  const share = summary.totalParams ? ` (${((100 * summary.trainableParams) / summary.totalParams).toFixed(1)}%)` : '';
  return [
    line(['eval accuracy', 'before', 'after', '']),
    line(['-'.repeat(w0), '-'.repeat(8), '-'.repeat(8), '']),
    ...rows.map(line),
    '',
    kv('trainable parameters', `${num(summary.trainableParams)} of ${num(summary.totalParams)}${share}${o.frozen?.length ? `; frozen: ${o.frozen.join(', ')}` : ''}`),
    kv('steps', `${summary.steps} of ${summary.totalSteps} (${summary.status})`),
    kv('seconds per step', summary.secondsPerStep.toFixed(4)),
    kv('wall time (load, train, eval)', `${o.wallSeconds.toFixed(1)} s`),
    kv('run directory', o.runDir),
    ...(o.curves ? [kv('loss curves', o.curves)] : []),
  ].join('\n');
}
