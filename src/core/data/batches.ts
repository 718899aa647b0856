// Batches from indexed rows: seeded shuffling, reading rows back by reference, encoding, collating.
import type { BadRows } from './bad-rows.js';
import { collate, type Example } from './collate.js';
import { DataError } from './errors.js';
import { baseDirOf, type Table } from './formats/table.js';
import type { Plan } from './plan.js';
import { mixSeed, mulberry32, shuffleInPlace, STREAM } from './random.js';
import type { RowIndex } from './row-index.js';
import type { Batch, BatchOptions, BatchSource, ModelInput } from './types.js';

/**
 * The rows `positions` of an indexed table as batches.
 *
 * Shuffling permutes row references, not rows: the scan recorded where every row is (RowIndex, ~20 bytes a
 * row), so an epoch is a true permutation of the whole split, read back by seeking. Memory stays flat
 * whatever the file size, and unlike a bounded shuffle buffer the order does not depend on how the file is
 * laid out (a buffer over a file sorted by label would still give one-label batches).
 */
export class RowsSource implements BatchSource {
  private readonly dir: string;

  constructor(
    private readonly table: Table,
    private readonly index: RowIndex,
    private readonly positions: Uint32Array,
    private readonly plan: Plan,
    private readonly inputs: ModelInput[],
    private readonly bad: BadRows,
  ) {
    this.dir = baseDirOf(table);
  }

  get size(): number {
    return this.positions.length;
  }

  /**
   * Batches in file order (rows [s*B, (s+1)*B) of the split) or in a seeded order that depends only on
   * (seed, epoch). The next batch is read and encoded while the caller works on the current one.
   */
  async *batches(batchSize: number, opts: BatchOptions): AsyncGenerator<Batch> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
    let pending: Example[] = [];
    for await (const got of this.examples(batchSize, opts)) {
      pending.push(...got);
      // Skipped rows leave a batch short; it is topped up from the next rows.
      while (pending.length >= batchSize) yield this.collate(pending.splice(0, batchSize));
    }
    if (pending.length && !opts.dropLast) yield this.collate(pending);
  }

  /**
   * The encoded rows of an epoch (order as in `batches`), from its row `from` on, read `chunk` rows at a time; the
   * next chunk is read while the caller works on the current one. Unusable rows are left out (see `load`).
   */
  async *examples(chunk: number, opts: BatchOptions, from = 0): AsyncGenerator<Example[]> {
    const order = (opts.shuffle ? this.order(opts.seed, opts.epoch) : this.positions).subarray(from);
    let next = order.length ? this.load(order.subarray(0, chunk)) : undefined;
    for (let at = 0; at < order.length; at += chunk) {
      const got = await next!;
      next = at + chunk < order.length ? this.load(order.subarray(at + chunk, at + 2 * chunk)) : undefined;
      next?.catch(() => {}); // a failure is thrown when that chunk is awaited, not as an unhandled rejection
      yield got;
    }
  }

  /**
   * Reads and encodes some rows; unusable ones are reported (an error unless skipping) and left out. Images
   * decode concurrently, but failures are reported in row order, so the same row is named on every run.
   */
  private async load(positions: Uint32Array): Promise<Example[]> {
    const refs = Array.from(positions, (p) => this.index.ref(p));
    const rows = await this.table.fetch(refs);
    const kind = this.plan.labelKind;
    const results = rows.map((row, k): Example | Error | Promise<Example | Error> => {
      try {
        if (typeof row === 'string') return new Error(row);
        const label = kind === 'class' ? this.index.labelOf(positions[k]) : kind === 'lm' ? undefined : this.plan.target(row);
        const features = this.plan.encode(row, this.dir);
        const example = this.plan.describe?.(row, this.dir);
        return features instanceof Promise ? features.then((f) => ({ features: f, label, example }), (e: Error) => e) : { features, label, example };
      } catch (e) {
        return e as Error;
      }
    });
    const settled = await Promise.all(results);
    const out: Example[] = [];
    settled.forEach((r, k) => {
      if (r instanceof DataError) throw r; // not about this row (e.g. the tokenizer file)
      if (r instanceof Error) this.bad.report(this.table, refs[k], r.message, 'batch');
      else out.push(r);
    });
    return out;
  }

  collate(examples: Example[]): Batch {
    try {
      return collate(examples, this.inputs, this.plan.labelKind);
    } catch (e) {
      throw new DataError(this.table.path, (e as Error).message);
    }
  }

  private order(seed: number, epoch: number): Uint32Array {
    const rand = mulberry32(mixSeed(seed, STREAM.shuffle + epoch));
    const order = this.positions.slice();
    if (!this.table.blockOf) return shuffleInPlace(order, rand);
    // Parquet decodes a whole row group to read one row: shuffle the groups' order and the rows within each
    // group, so a batch touches one or two groups instead of all of them.
    const blocks = new Map<number, number[]>();
    for (const p of order) {
      const b = this.table.blockOf(this.index.ref(p));
      if (!blocks.has(b)) blocks.set(b, []);
      blocks.get(b)!.push(p);
    }
    const keys = shuffleInPlace([...blocks.keys()], rand);
    let i = 0;
    for (const k of keys) for (const p of shuffleInPlace(blocks.get(k)!, rand)) order[i++] = p;
    return order;
  }
}
