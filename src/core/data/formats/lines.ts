import * as fs from 'node:fs';

/** One line of a text file: its byte range (terminator included) and its content (terminator and BOM removed). */
export interface Line {
  start: number;
  len: number;
  line: number;
  bytes: Buffer;
}

/**
 * Bytes read at a time by the streaming readers. Rows of one chunk are handed over together (one await per
 * chunk); small enough that they die young instead of piling up in the old generation.
 */
export const READ_CHUNK = 256 * 1024;

/** Reads a file line by line, yielding the lines of each chunk read together. */
export async function* readLines(file: string): AsyncGenerator<Line[]> {
  let carry: Buffer | undefined;
  let carryStart = 0;
  let offset = 0;
  let lineNo = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: READ_CHUNK }) as AsyncIterable<Buffer>) {
    const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
    const base = carry ? carryStart : offset;
    offset += chunk.length;
    const lines: Line[] = [];
    let pos = 0;
    let nl: number;
    while ((nl = buf.indexOf(10, pos)) !== -1) {
      lines.push({ start: base + pos, len: nl + 1 - pos, line: ++lineNo, bytes: lineContent(buf.subarray(pos, nl + 1)) });
      pos = nl + 1;
    }
    carry = pos < buf.length ? buf.subarray(pos) : undefined;
    carryStart = base + pos;
    if (lines.length) yield lines;
  }
  if (carry) yield [{ start: carryStart, len: carry.length, line: ++lineNo, bytes: lineContent(carry) }];
}

/** A line's bytes without its terminator (\n or \r\n) and without a leading UTF-8 byte order mark. */
export function lineContent(buf: Buffer): Buffer {
  let s = 0;
  let e = buf.length;
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) s = 3;
  if (e > s && buf[e - 1] === 10) e--;
  if (e > s && buf[e - 1] === 13) e--;
  return buf.subarray(s, e);
}

/**
 * Line numbers by byte offset for a file fed chunk by chunk, for parsers that report byte offsets only
 * (csv-parse's own line count drifts on \r\n inside quoted fields). Offsets asked must not decrease.
 */
export class LineCounter {
  private chunks: { start: number; buf: Buffer }[] = [];
  private end = 0;
  private pos = 0;
  private lines = 1;

  push(buf: Buffer): void {
    this.chunks.push({ start: this.end, buf });
    this.end += buf.length;
  }

  /** The 1-based line holding the byte at `offset`. */
  lineAt(offset: number): number {
    while (this.pos < offset && this.chunks.length) {
      const c = this.chunks[0];
      const stop = Math.min(offset, c.start + c.buf.length);
      let i = this.pos - c.start;
      while ((i = c.buf.indexOf(10, i)) !== -1 && i < stop - c.start) {
        this.lines++;
        i++;
      }
      this.pos = stop;
      if (stop === c.start + c.buf.length) this.chunks.shift();
      else break;
    }
    return this.lines;
  }

  /** Bytes [start, end) that are still held (at or after the last offset asked). */
  slice(start: number, end: number): Buffer {
    const parts: Buffer[] = [];
    for (const c of this.chunks) {
      const s = Math.max(start, c.start);
      const e = Math.min(end, c.start + c.buf.length);
      if (s < e) parts.push(c.buf.subarray(s - c.start, e - c.start));
    }
    return Buffer.concat(parts);
  }
}
