import type { RowRef } from './formats/table.js';

/**
 * Where each usable row of a file is (byte range or row number, line) and its class id, in typed arrays:
 * about 20 bytes a row, so the rows of a multi-gigabyte file can be indexed without holding the file.
 */
export class RowIndex {
  size = 0;
  private start = new Float64Array(1024);
  private len = new Uint32Array(1024);
  private line = new Uint32Array(1024);
  private label = new Int32Array(1024);

  push(ref: RowRef, label: number): void {
    if (this.size === this.start.length) this.reserve(Math.ceil(this.size * 1.5));
    this.start[this.size] = ref.start;
    this.len[this.size] = ref.len;
    this.line[this.size] = ref.line;
    this.label[this.size] = label;
    this.size++;
  }

  ref(i: number): RowRef {
    return { start: this.start[i], len: this.len[i], line: this.line[i] };
  }

  labelOf(i: number): number {
    return this.label[i];
  }

  labels(): Int32Array {
    return this.label.subarray(0, this.size);
  }

  /** Replaces provisional label ids (first-seen order) by final ones. */
  remapLabels(remap: Int32Array): void {
    for (let i = 0; i < this.size; i++) this.label[i] = remap[this.label[i]];
  }

  /** Makes room for `n` rows (an estimate from the file size avoids regrowing, and its transient copies). */
  reserve(n: number): void {
    if (n <= this.start.length) return;
    const copy = <T extends Float64Array | Uint32Array | Int32Array>(a: T, b: T) => (b.set(a.subarray(0, this.size)), b);
    this.start = copy(this.start, new Float64Array(n));
    this.len = copy(this.len, new Uint32Array(n));
    this.line = copy(this.line, new Uint32Array(n));
    this.label = copy(this.label, new Int32Array(n));
  }
}
