// CSV and TSV through csv-parse: quoted fields, embedded newlines, BOM, header detection, streaming.
import * as fs from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { toNumber } from '../cells.js';
import { DataError } from '../errors.js';
import { LineCounter, READ_CHUNK } from './lines.js';
import { firstBytes, readRanges } from './ranges.js';
import type { Row, RowRef, ScannedRow, Table } from './table.js';

const HEAD_BYTES = 256 * 1024;
const SNIFF_RECORDS = 50;

interface Dialect {
  delimiter: string;
  recordDelimiter: string;
}

export async function openCsv(file: string, format: 'csv' | 'tsv', opts: { header?: boolean } = {}): Promise<Table> {
  const size = fs.statSync(file).size;
  const head = firstBytes(file, HEAD_BYTES);
  const dialect = sniffDialect(head, format);
  const sample = parseHead(head, dialect, head.length === size);
  const header = sample.length > 0 && (opts.header ?? looksLikeHeader(sample));
  const columns = header ? headerNames(sample[0]) : (sample[0] ?? []).map((_, i) => `column_${i + 1}`);
  const options = { ...parserOptions(dialect), relax_column_count: true };

  function toRow(fields: string[], ref: RowRef, raw: () => Buffer): ScannedRow {
    if (fields.length !== columns.length) {
      return { ref, error: `ragged row: expected ${columns.length} fields, found ${fields.length}` };
    }
    // csv-parse decodes bad UTF-8 to U+FFFD silently; only then look at the bytes to tell it from a real U+FFFD.
    if (fields.some((f) => f.includes('\uFFFD')) && !isUtf8(raw())) return { ref, error: 'invalid UTF-8' };
    const values: Row = {};
    columns.forEach((c, i) => (values[c] = fields[i]));
    return { ref, values };
  }

  async function* rows(): AsyncGenerator<ScannedRow[]> {
    const counter = new LineCounter();
    let out: ScannedRow[] = [];
    let prevEnd = 0;
    let first = true;
    const parser = parse({
      ...options,
      bom: true,
      on_record: (fields: string[], ctx) => {
        const ref = { start: prevEnd, len: ctx.bytes - prevEnd, line: counter.lineAt(prevEnd) };
        prevEnd = ctx.bytes;
        const isHeader = first && header;
        first = false;
        const blank = fields.length === 1 && fields[0] === '';
        if (!isHeader && !blank) out.push(toRow(fields, ref, () => counter.slice(ref.start, ref.start + ref.len)));
        return null; // rows are collected here, not pushed through the stream
      },
    });
    parser.on('error', () => {}); // reported through parser.errored below
    const fail = (): never => {
      // The broken record starts where the last good one ended.
      throw new DataError(file, (parser.errored as Error).message.replace(/ at line \d+/, ''), counter.lineAt(prevEnd));
    };
    for await (const chunk of fs.createReadStream(file, { highWaterMark: READ_CHUNK }) as AsyncIterable<Buffer>) {
      counter.push(chunk);
      parser.write(chunk); // parses synchronously, calling on_record for each complete record
      if (parser.errored) fail();
      if (out.length) {
        yield out;
        out = [];
      }
    }
    await new Promise<void>((resolve) => {
      parser.once('finish', resolve);
      parser.once('error', () => resolve());
      parser.end();
    });
    if (parser.errored) fail();
    if (out.length) yield out;
  }

  async function fetch(refs: RowRef[]): Promise<(Row | string)[]> {
    // One parser call per request: join the rows' bytes, each ending with a record delimiter.
    const nl = Buffer.from(dialect.recordDelimiter);
    const parts = readRanges(file, refs).map((b, i) => {
      if (refs[i].start === 0 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
      const last = b[b.length - 1];
      return last === 10 || last === 13 ? b : Buffer.concat([b, nl]); // the file's last row may lack one
    });
    const records: string[][] = parseSync(Buffer.concat(parts), options);
    if (records.length !== refs.length) throw new DataError(file, 'the file changed since it was read');
    return records.map((fields, i) => {
      const r = toRow(fields, refs[i], () => parts[i]);
      return r.values ?? r.error!;
    });
  }

  return { format, path: file, columns, unit: 'line', sizeBytes: size, rows, fetch };
}

/**
 * Quotes inside unquoted fields are kept as text (`5" screen`), common in real files. Records may be long
 * (whole documents); the cap still stops a runaway quote before it swallows the file.
 */
function parserOptions(d: Dialect) {
  return { delimiter: d.delimiter, record_delimiter: d.recordDelimiter, relax_quotes: true, max_record_size: 1 << 26 };
}


/** TSV splits on tabs; a .csv file on whichever of , ; | or tab its first line uses most. */
function sniffDialect(head: Buffer, format: 'csv' | 'tsv'): Dialect {
  const text = head.toString('utf8');
  const m = /\r\n|\n|\r/.exec(text);
  const recordDelimiter = m ? m[0] : '\n';
  const firstLine = m ? text.slice(0, m.index) : text;
  let delimiter = format === 'tsv' ? '\t' : ',';
  if (format === 'csv') {
    let best = 0;
    for (const d of [',', '\t', ';', '|']) {
      const n = firstLine.split(d).length - 1;
      if (n > best) [best, delimiter] = [n, d];
    }
  }
  return { delimiter, recordDelimiter };
}

/** The first records of the file, for header detection; a record cut by the end of the head is dropped. */
function parseHead(head: Buffer, dialect: Dialect, whole: boolean): string[][] {
  const records: string[][] = [];
  const parser = parse({
    ...parserOptions(dialect),
    bom: true,
    relax_column_count: true,
    to: SNIFF_RECORDS,
    on_record: (r: string[]) => {
      if (!(r.length === 1 && r[0] === '')) records.push(r);
      return null;
    },
  });
  parser.on('error', () => {}); // a broken file is reported with its line when its rows are read
  // A whole file's last record may lack its delimiter: add one so that it, too, is parsed right away.
  parser.write(whole ? Buffer.concat([head, Buffer.from(dialect.recordDelimiter)]) : head);
  return records;
}

const isNumber = (s: string) => toNumber(s) !== undefined;

/**
 * Whether the first record is a header, in the spirit of Python's csv.Sniffer.has_header: each column votes
 * by comparing its first cell with the cells below (a word over numbers → header; a first cell that recurs
 * below → data). Ties go to "header", which most files have; `header` in the data spec overrides.
 */
export function looksLikeHeader(records: string[][]): boolean {
  const [first, ...rest] = records;
  // One blank cell is allowed: pandas names its index column ''.
  if (first.filter((c) => c.trim() === '').length > 1 || new Set(first).size !== first.length) return false;
  let votes = 0;
  first.forEach((cell, c) => {
    const below = rest.map((r) => r[c]).filter((v) => v !== undefined && v !== '');
    if (below.length === 0) return;
    if (below.every(isNumber)) votes += isNumber(cell) ? -1 : 1;
    else if (below.includes(cell)) votes -= 1;
    else if (new Set(below).size <= below.length / 2) votes += 1; // a label-like column headed by its name
  });
  return votes >= 0 && !first.some(isNumber);
}

/** Header cells as column names: blanks named by position, duplicates numbered. */
function headerNames(cells: string[]): string[] {
  const seen = new Map<string, number>();
  return cells.map((c, i) => {
    const name = c.trim() || `column_${i + 1}`;
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n === 1 ? name : `${name}_${n}`;
  });
}
