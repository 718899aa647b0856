// previewDataset: what the panel and `finetune preview` show: first rows, roles, counts, labels, bad rows.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { rowProblem } from './checks.js';
import { DataError } from './errors.js';
import { splitFolders } from './formats/folders.js';
import { openTable } from './formats/open.js';
import { baseDirOf, sampleRows, type Row, type RowRef, type Table } from './formats/table.js';
import { imageSource, thumbnail } from './images.js';
import { labelKey } from './labels.js';
import { byRole, inferRoles } from './roles.js';
import type { BadRow, Cell, Preview, PreviewOptions } from './types.js';

const DEFAULT_LIMIT = 20;
/** Files up to this size are read whole: exact counts and every bad row, still in well under a second. */
const FULL_READ_BYTES = 16 * 1024 * 1024;
/** Folders up to this many files are read whole. */
const FULL_READ_FILES = 20_000;
/** Rows read from a large file to infer roles and estimate the row count and label distribution. */
const SAMPLE_ROWS = 1000;
const MAX_TEXT = 200;
const MAX_BAD_ROWS = 100;

export async function previewDataset(p: string, opts: PreviewOptions = {}): Promise<Preview> {
  const limit = opts.limit ?? DEFAULT_LIMIT;
  let file = path.resolve(opts.baseDir ?? process.cwd(), p);
  const splitDirs = fs.existsSync(file) && fs.statSync(file).isDirectory() ? splitFolders(file) : undefined;
  if (splitDirs) file = splitDirs.train!; // a dataset folder with train/ validation/ test/: show the training rows
  const table = await openTable(file, { header: opts.header });
  const sample = await sampleRows(table, SAMPLE_ROWS);
  const columns = inferRoles(table.columns, sample, { override: opts.columns, ignore: opts.ignore });
  const r = byRole(columns);
  const checked = { text: r.text, textPair: r.textPair, image: r.image, label: r.label, targets: r.target };

  // Check rows in file order: all of them when cheap, else the sample.
  const whole = readWhole(table);
  const shown: { ref: RowRef; values: Row }[] = [];
  const problems: { ref: RowRef; reason: string }[] = [];
  const labelDistribution: Record<string, number> = {};
  let seen = 0;
  let good = 0;
  let bytes = 0;
  let complete = true;
  for await (const chunk of table.rows()) {
    for (const row of chunk) {
      seen++;
      bytes += row.ref.len;
      const reason = row.error ?? rowProblem(row.values!, checked);
      if (reason) {
        problems.push({ ref: row.ref, reason });
        continue;
      }
      good++;
      if (shown.length < limit) shown.push({ ref: row.ref, values: row.values! });
      if (r.label) {
        const k = labelKey(row.values![r.label])!;
        labelDistribution[k] = (labelDistribution[k] ?? 0) + 1;
      }
    }
    if (!whole && seen >= Math.max(limit, SAMPLE_ROWS)) {
      complete = false;
      break;
    }
  }
  if (seen === 0) throw new DataError(table.path, 'no rows');

  const rows: Record<string, Cell>[] = [];
  for (const s of shown) {
    const out: Record<string, Cell> = {};
    for (const c of table.columns) out[c] = cell(s.values[c]);
    if (r.image) {
      try {
        out[r.image] = await thumbnail(imageSource(s.values[r.image], baseDirOf(table)));
      } catch (e) {
        problems.push({ ref: s.ref, reason: `cannot decode image: ${(e as Error).message}` });
        out[r.image] = null;
      }
    }
    rows.push(out);
  }

  const exact = complete || table.exactCount !== undefined;
  const rowCount = table.exactCount ?? (complete ? seen : Math.round(table.sizeBytes / (bytes / seen)));
  const badRows: BadRow[] = problems
    .sort((a, b) => a.ref.line - b.ref.line)
    .slice(0, MAX_BAD_ROWS)
    .map((b) => ({ line: b.ref.line, reason: table.fileOf ? `${path.relative(table.path, table.fileOf(b.ref))}: ${b.reason}` : b.reason }));
  return {
    format: table.format,
    columns,
    rows,
    rowCount,
    rowCountExact: exact,
    labelDistribution: complete ? labelDistribution : scaled(labelDistribution, rowCount / Math.max(1, good)),
    badRows,
    badRowUnit: table.unit,
    splits: await splitSizes(rowCount, opts.split, splitDirs, table),
  };
}

function readWhole(t: Table): boolean {
  if (t.format.endsWith('folder')) return t.exactCount! <= FULL_READ_FILES;
  if (t.format === 'json') return true; // parsed whole when opened
  return t.sizeBytes <= FULL_READ_BYTES;
}

function cell(v: unknown): Cell {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return v.length > MAX_TEXT ? v.slice(0, MAX_TEXT - 1) + '…' : v;
  if (Array.isArray(v)) return v.length > 8 ? `[${v.slice(0, 8).map((x) => JSON.stringify(x)).join(', ')}, …] (${v.length})` : JSON.stringify(v);
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  return cell(JSON.stringify(v));
}

/** A distribution counted on a sample, scaled to the estimated row count. */
function scaled(d: Record<string, number>, factor: number): Record<string, number> {
  return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, Math.round(v * factor)]));
}

async function splitSizes(n: number, split: PreviewOptions['split'], dirs: ReturnType<typeof splitFolders>, table: Table): Promise<Preview['splits']> {
  if (dirs) {
    const count = async (d?: string) => (d ? (await openTable(d)).exactCount : undefined);
    return { train: table.exactCount ?? n, validation: await count(dirs.validation), test: await count(dirs.test) };
  }
  const val = Math.round(n * (split?.validation ?? 0));
  const test = Math.round(n * (split?.test ?? 0));
  return { train: n - val - test, ...(val ? { validation: val } : {}), ...(test ? { test } : {}) };
}
