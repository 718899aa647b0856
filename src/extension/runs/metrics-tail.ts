import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { EvalMetric, StepMetric } from '../../core/experiment/events.js';
import { RUN_FILES } from '../../core/experiment/run-dir.js';

export type MetricRow = { kind: 'step'; metric: StepMetric } | { kind: 'eval'; metric: EvalMetric };

/** Bytes read per call: a long run's file is taken in slices, yielding to the event loop between them. */
const CHUNK = 1 << 20;

/** Classifies one parsed metrics.jsonl row; rows of unknown shape are skipped. */
export function metricRow(v: unknown): MetricRow | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const r = v as Record<string, unknown>;
  if (typeof r.step !== 'number' || typeof r.loss !== 'number' && r.loss !== null) return undefined;
  if (typeof r.split === 'string') return { kind: 'eval', metric: r as unknown as EvalMetric };
  return { kind: 'step', metric: r as unknown as StepMetric };
}

/**
 * Reads a run's metrics.jsonl incrementally: each `read()` returns the complete lines appended since the last one,
 * with async I/O (off the host's thread) and never the whole file at once. A torn last line waits for its end;
 * a file that shrank (a resume truncated it) is read again from the start.
 */
export class MetricsTail {
  private offset = 0;
  private partial = '';
  private decoder = new StringDecoder('utf8');
  readonly file: string;

  constructor(runDir: string) {
    this.file = path.join(runDir, RUN_FILES.metrics);
  }

  async read(): Promise<{ rows: MetricRow[]; reset: boolean }> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.file, 'r');
    } catch {
      return { rows: [], reset: false };
    }
    const rows: MetricRow[] = [];
    let reset = false;
    try {
      const { size } = await handle.stat();
      if (size < this.offset) {
        this.offset = 0;
        this.partial = '';
        this.decoder = new StringDecoder('utf8');
        reset = true;
      }
      const buf = Buffer.alloc(Math.min(CHUNK, Math.max(0, size - this.offset)));
      while (this.offset < size) {
        const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, size - this.offset), this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        const text = this.partial + this.decoder.write(buf.subarray(0, bytesRead));
        const lines = text.split('\n');
        this.partial = lines.pop()!;
        for (const line of lines) {
          if (!line.trim()) continue;
          try {
            const row = metricRow(JSON.parse(line));
            if (row) rows.push(row);
          } catch {
            // a line torn by a killed writer, later followed by whole rows: skip it
          }
        }
        if (this.offset < size) await new Promise((r) => setImmediate(r));
      }
    } finally {
      await handle.close();
    }
    return { rows, reset };
  }
}
