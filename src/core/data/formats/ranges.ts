import * as fs from 'node:fs';
import type { RowRef } from './table.js';

/**
 * Reads the byte ranges of rows from a file, one buffer per row in the order given. Adjacent ranges (rows read
 * in file order) are merged into one read. Reads are synchronous: they hit the page cache and are far cheaper
 * than an async round trip per row.
 */
export function readRanges(file: string, refs: RowRef[]): Buffer[] {
  const out: Buffer[] = new Array(refs.length);
  const fd = fs.openSync(file, 'r');
  try {
    let i = 0;
    while (i < refs.length) {
      let j = i + 1;
      while (j < refs.length && refs[j].start === refs[j - 1].start + refs[j - 1].len) j++;
      const start = refs[i].start;
      const total = refs[j - 1].start + refs[j - 1].len - start;
      const buf = Buffer.allocUnsafe(total);
      let got = 0;
      while (got < total) {
        const n = fs.readSync(fd, buf, got, total - got, start + got);
        if (n === 0) throw new Error(`${file} changed while reading it (unexpected end of file)`);
        got += n;
      }
      for (let k = i; k < j; k++) out[k] = buf.subarray(refs[k].start - start, refs[k].start - start + refs[k].len);
      i = j;
    }
  } finally {
    fs.closeSync(fd);
  }
  return out;
}

/** The first `n` bytes of a file (fewer if it is shorter): enough to sniff its format or dialect. */
export function firstBytes(file: string, n: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    return buf.subarray(0, fs.readSync(fd, buf, 0, n, 0));
  } finally {
    fs.closeSync(fd);
  }
}
