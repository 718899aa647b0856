import { DataError } from './errors.js';
import type { RowRef, Table } from './formats/table.js';

/** The error for one row: named by its own file (folders) or by file and line/row. */
export function rowError(table: Table, ref: RowRef, reason: string): DataError {
  return table.fileOf ? new DataError(table.fileOf(ref), reason) : new DataError(table.path, reason, ref.line, table.unit);
}

const KEEP = 100;

/**
 * Unusable rows: an error at the first one, or a count and the first reasons for the run log. Rows found while
 * indexing and rows that fail only when a batch reads them (an undecodable image) have their own choice.
 */
export class BadRows {
  count = 0;
  readonly first: { file: string; line: number; reason: string }[] = [];
  private seen = new Set<string>();

  constructor(private readonly skipAtScan: boolean, private readonly skipInBatches = skipAtScan) {}

  report(table: Table, ref: RowRef, reason: string, when: 'scan' | 'batch' = 'scan'): void {
    const err = rowError(table, ref, reason);
    if (!(when === 'scan' ? this.skipAtScan : this.skipInBatches)) throw err;
    // A row that fails to decode fails again every epoch; count it once.
    const key = `${table.path}\0${ref.start}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.count++;
    // A row that is a file of its own (an image in a folder) has no line to show: 0.
    if (this.first.length < KEEP) this.first.push({ file: err.file, line: table.fileOf ? 0 : ref.line, reason });
  }
}
