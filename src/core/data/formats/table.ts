import * as path from 'node:path';
import type { Format } from '../types.js';

/** One row's values by column name, as read from the file (strings for CSV, JSON values for JSONL...). */
export type Row = Record<string, unknown>;

/**
 * Where a row lives, enough to read it again: a byte range for text formats (so a shuffled epoch can seek
 * to any row of a file too large to hold), a row number for the others. `line` is what error messages show.
 */
export interface RowRef {
  start: number;
  len: number;
  line: number;
}

/** A row found while reading a file in order: its values, or why it is unusable. */
export interface ScannedRow {
  ref: RowRef;
  values?: Row;
  error?: string;
}

/** A readable table: every supported format (file or folder) is opened into one. */
export interface Table {
  format: Format;
  /** The file or folder, as given (for messages). */
  path: string;
  columns: string[];
  /** Whether `RowRef.line` counts lines of a text file, rows, or files of a folder. */
  unit: 'line' | 'row';
  /** Row count when known without reading the rows (Parquet metadata, folder listings, JSON arrays). */
  exactCount?: number;
  /** Total size in bytes, to estimate the row count of a file read only in part. */
  sizeBytes: number;
  /** Rows in file order, in chunks (one await per chunk, not per row); stops reading when the consumer stops. */
  rows(): AsyncGenerator<ScannedRow[]>;
  /** Reads rows again by reference, in the order given; a string in place of a row is why it failed. */
  fetch(refs: RowRef[]): Promise<(Row | string)[]>;
  /** The file a row comes from, when a folder holds one row per file. */
  fileOf?(ref: RowRef): string;
  /** Which storage block a row lives in (Parquet row group), so shuffling can keep reads local. */
  blockOf?(ref: RowRef): number;
}

/** The folder that relative paths in a table (image columns) are resolved against. */
export function baseDirOf(table: Table): string {
  return table.format.endsWith('folder') ? table.path : path.dirname(table.path);
}

/** The first usable rows, to infer column roles from. */
export async function sampleRows(table: Table, n: number): Promise<Row[]> {
  const out: Row[] = [];
  for await (const chunk of table.rows()) {
    for (const r of chunk) if (r.values) out.push(r.values);
    if (out.length >= n) break;
  }
  return out.slice(0, n);
}
