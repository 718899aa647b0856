// JSON Lines (streamed line by line) and JSON arrays (parsed whole: a JSON array cannot be read in part;
// large data belongs in JSONL, CSV or Parquet).
import * as fs from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { DataError } from '../errors.js';
import { lineContent, readLines, type Line } from './lines.js';
import { readRanges } from './ranges.js';
import type { Row, RowRef, ScannedRow, Table } from './table.js';

const SNIFF_ROWS = 100;

function parseLine(bytes: Buffer): Row | string {
  if (!isUtf8(bytes)) return 'invalid UTF-8';
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    return `invalid JSON: ${(e as Error).message}`;
  }
  return isObject(v) ? v : 'not a JSON object';
}

function isObject(v: unknown): v is Row {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// Blank lines separate nothing and are skipped, not reported.
const isBlank = (l: Line) => l.bytes.length === 0 || (l.bytes[0] <= 0x20 && l.bytes.toString('latin1').trim() === '');

export async function openJsonl(file: string): Promise<Table> {
  // Columns: the keys of the first rows, in order of appearance.
  const columns: string[] = [];
  let seen = 0;
  outer: for await (const lines of readLines(file)) {
    for (const l of lines) {
      if (isBlank(l)) continue;
      const r = parseLine(l.bytes);
      if (typeof r !== 'string') for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
      if (++seen >= SNIFF_ROWS) break outer;
    }
  }
  return lineTable(file, 'jsonl', columns, parseLine);
}

/** Plain text: one example per non-blank line, in a column named `text`. */
export async function openTextLines(file: string): Promise<Table> {
  return lineTable(file, 'text', ['text'], (b) => (isUtf8(b) ? { text: b.toString('utf8') } : 'invalid UTF-8'));
}

function lineTable(file: string, format: 'jsonl' | 'text', columns: string[], decode: (b: Buffer) => Row | string): Table {
  async function* rows(): AsyncGenerator<ScannedRow[]> {
    for await (const lines of readLines(file)) {
      const out: ScannedRow[] = [];
      for (const l of lines) {
        if (isBlank(l)) continue;
        const ref = { start: l.start, len: l.len, line: l.line };
        const r = decode(l.bytes);
        out.push(typeof r === 'string' ? { ref, error: r } : { ref, values: r });
      }
      if (out.length) yield out;
    }
  }
  return {
    format, path: file, columns, unit: 'line', sizeBytes: fs.statSync(file).size, rows,
    fetch: async (refs: RowRef[]) => readRanges(file, refs).map((b) => decode(lineContent(b))),
  };
}

/** A JSON array of objects, an object holding one (`{"data": [...]}`), or a single object. */
export async function openJsonArray(file: string): Promise<Table> {
  const buf = fs.readFileSync(file);
  if (!isUtf8(buf)) throw new DataError(file, 'invalid UTF-8', firstBadUtf8Line(buf));
  let doc: unknown;
  try {
    doc = JSON.parse(lineContent(buf).toString('utf8'));
  } catch (e) {
    throw new DataError(file, `invalid JSON: ${(e as Error).message}`);
  }
  if (isObject(doc)) {
    const arrays = Object.values(doc).filter(Array.isArray);
    doc = arrays.length === 1 ? arrays[0] : [doc];
  }
  if (!Array.isArray(doc)) throw new DataError(file, 'expected a JSON array of objects (or JSON Lines, one object per line)');
  const items = doc as unknown[];
  const columns: string[] = [];
  for (const it of items.slice(0, SNIFF_ROWS)) if (isObject(it)) for (const k of Object.keys(it)) if (!columns.includes(k)) columns.push(k);
  const get = (i: number): Row | string => (isObject(items[i]) ? (items[i] as Row) : 'not a JSON object');

  async function* rows(): AsyncGenerator<ScannedRow[]> {
    const out: ScannedRow[] = items.map((_, i) => {
      const ref = { start: i, len: 0, line: i + 1 };
      const r = get(i);
      return typeof r === 'string' ? { ref, error: r } : { ref, values: r };
    });
    if (out.length) yield out;
  }

  return {
    format: 'json', path: file, columns, unit: 'row', exactCount: items.length, sizeBytes: buf.length, rows,
    fetch: async (refs) => refs.map((r) => get(r.start)),
  };
}


function firstBadUtf8Line(buf: Buffer): number {
  let line = 1;
  for (let s = 0; s < buf.length; ) {
    const e = buf.indexOf(10, s);
    const end = e === -1 ? buf.length : e;
    if (!isUtf8(buf.subarray(s, end))) return line;
    line++;
    s = end + 1;
  }
  return line;
}
