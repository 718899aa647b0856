// Shared set-up of the run-fault tests: a small MLP experiment on the fixtures, and file systems that fail.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseExperiment } from '../../src/core/experiment/spec.js';
import type { RunFs } from '../../src/core/experiment/run-dir.js';
import { FIXTURES } from '../helpers/fixtures.js';

export function tmp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The MLP fixture as an experiment (absolute paths, so any base dir works). */
export function mlpSpec(output: string, extra: Record<string, unknown> = {}) {
  return parseExperiment(mlpJson(output, extra));
}

export function mlpJson(output: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: path.join(FIXTURES, 'mlp.ts.onnx'),
    data: { train: path.join(FIXTURES, 'mlp.train.jsonl'), eval: path.join(FIXTURES, 'mlp.eval.jsonl') },
    batchSize: 8, steps: 12, shuffle: true, seed: 3, threads: 1, optimizer: { name: 'adamw', lr: 3e-3 }, output, ...extra,
  };
}

export function errno(code: string, syscall = 'write'): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected, ${syscall}`), { code, syscall });
}

/** A file system whose writes to files whose name matches `match` start failing with `code` after `okWrites` of them. */
export function failingFs(match: RegExp, code: string, okWrites = 0, opts: { partial?: boolean } = {}): RunFs & { failed: number } {
  let n = 0;
  const io = {
    ...fs,
    failed: 0,
    appendFileSync(file: fs.PathOrFileDescriptor, data: string | Uint8Array) {
      if (match.test(String(file)) && n++ >= okWrites) {
        io.failed++;
        // A full disk can take part of a write before it fails.
        if (opts.partial) fs.appendFileSync(file, String(data).slice(0, 7));
        throw errno(code);
      }
      return fs.appendFileSync(file, data);
    },
    writeFileSync(file: fs.PathOrFileDescriptor, data: string | NodeJS.ArrayBufferView, o?: fs.WriteFileOptions) {
      if (match.test(String(file)) && n++ >= okWrites) {
        io.failed++;
        throw errno(code, 'open');
      }
      return fs.writeFileSync(file, data, o);
    },
  };
  return io as RunFs & { failed: number };
}

/** The pid of a process that has exited (for temporaries left by a killed run). */
export function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

/** Metric rows as the raw lines of metrics.jsonl: every one must parse. */
export function metricLines(runDir: string): Record<string, unknown>[] {
  const text = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8');
  if (text && !text.endsWith('\n')) throw new Error(`${runDir}/metrics.jsonl ends in a partial line`);
  return text.split('\n').filter((l) => l).map((l) => JSON.parse(l));
}

/** Step numbers of the step rows, asserting none appears twice (and the same for eval rows per split). */
export function stepsOf(rows: Record<string, unknown>[]): number[] {
  const seen = new Set<string>();
  for (const r of rows) {
    const key = `${r.split ?? 'train'}@${r.step}`;
    if (seen.has(key)) throw new Error(`row ${key} appears twice`);
    seen.add(key);
  }
  return rows.filter((r) => r.split === undefined).map((r) => r.step as number);
}
