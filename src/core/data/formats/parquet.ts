// Parquet through hyparquet (pure JS) with hyparquet-compressors for every codec. Rows are read one row group
// at a time; a row's reference is its row number.
import * as fs from 'node:fs';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { DataError } from '../errors.js';
import type { Row, RowRef, ScannedRow, Table } from './table.js';

export async function openParquet(file: string): Promise<Table> {
  let buffer: AsyncBuffer;
  let metadata: FileMetaData;
  try {
    buffer = await asyncBufferFromFile(file);
    metadata = await parquetMetadataAsync(buffer);
  } catch (e) {
    throw new DataError(file, `not a readable Parquet file: ${(e as Error).message}`);
  }
  const columns = parquetSchema(metadata).children.map((c) => c.element.name);
  // First row number of each row group, plus the total at the end.
  const starts = [0];
  for (const g of metadata.row_groups) starts.push(starts[starts.length - 1] + Number(g.num_rows));
  const total = starts[starts.length - 1];

  const cache = new Map<number, Row[]>(); // the last row groups read, for fetches that stay within a group
  async function group(g: number): Promise<Row[]> {
    let rows = cache.get(g);
    if (!rows) {
      try {
        rows = (await parquetReadObjects({ file: buffer, metadata, compressors, rowStart: starts[g], rowEnd: starts[g + 1] })).map(plain);
      } catch (e) {
        throw new DataError(file, `cannot read row group ${g}: ${(e as Error).message}`, starts[g] + 1, 'row');
      }
      cache.set(g, rows);
      if (cache.size > 2) cache.delete(cache.keys().next().value!);
    }
    return rows;
  }

  const blockOf = (ref: RowRef): number => {
    let lo = 0;
    let hi = starts.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= ref.start) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };

  async function* rows(): AsyncGenerator<ScannedRow[]> {
    for (let g = 0; g < starts.length - 1; g++) {
      const values = await group(g);
      yield values.map((v, i) => ({ ref: { start: starts[g] + i, len: 0, line: starts[g] + i + 1 }, values: v }));
    }
  }

  async function fetch(refs: RowRef[]): Promise<(Row | string)[]> {
    const out: Row[] = [];
    for (const r of refs) out.push((await group(blockOf(r)))[r.start - starts[blockOf(r)]]);
    return out;
  }

  return { format: 'parquet', path: file, columns, unit: 'row', exactCount: total, sizeBytes: fs.statSync(file).size, rows, fetch, blockOf };
}

/** Parquet values as plain JS: 64-bit integers become numbers. */
function plain(row: Row): Row {
  for (const k of Object.keys(row)) if (typeof row[k] === 'bigint') row[k] = Number(row[k]);
  return row;
}
