// Training rows with a share of another source's rows interleaved (mixing source-task data in against forgetting).
import type { RowsSource } from './batches.js';
import type { Example } from './collate.js';
import { mixSeed, STREAM } from './random.js';
import type { Batch, BatchOptions, BatchSource } from './types.js';

/**
 * An epoch of `main` (all its rows, in its own order) with round(n·share/(1−share)) rows of `extra` spread evenly
 * among them, so `share` of the epoch's rows come from `extra`: slot t of the N-row epoch is an `extra` row when
 * ⌊(t+1)K/N⌋ > ⌊tK/N⌋. `extra` is read as one endless stream of passes (each pass a seeded permutation when
 * shuffling, else file order), epoch e taking its rows [eK, (e+1)K): every extra row is used before any is reused,
 * and an epoch's batches depend only on (seed, epoch), so a resumed run sees the same ones.
 */
export class MixedSource implements BatchSource {
  readonly size: number;
  private readonly extraPerEpoch: number;

  constructor(private readonly main: RowsSource, private readonly extra: RowsSource, share: number) {
    if (!(share > 0 && share < 1)) throw new Error(`mix share must be in (0, 1), got ${share}`);
    if (extra.size === 0) throw new Error('the rows to mix in are empty');
    this.extraPerEpoch = Math.round((main.size * share) / (1 - share));
    this.size = main.size + this.extraPerEpoch;
  }

  async *batches(batchSize: number, opts: BatchOptions): AsyncGenerator<Batch> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
    const N = this.size, K = this.extraPerEpoch;
    const main = queue(this.main.examples(batchSize, opts));
    const extra = queue(this.extraRows(batchSize, opts, opts.epoch * K));
    let batch: Example[] = [];
    try {
      for (let t = 0; t < N; t++) {
        const row = await (Math.floor(((t + 1) * K) / N) > Math.floor((t * K) / N) ? extra : main).next();
        if (!row) break; // main ran short (skipped bad rows)
        batch.push(row);
        if (batch.length === batchSize) {
          yield this.main.collate(batch);
          batch = [];
        }
      }
      if (batch.length && !opts.dropLast) yield this.main.collate(batch);
    } finally {
      await Promise.all([main.close(), extra.close()]);
    }
  }

  /** The endless stream of extra rows from row `start` on (pass ⌊start/R⌋, row start mod R). */
  private async *extraRows(chunk: number, opts: BatchOptions, start: number): AsyncGenerator<Example[]> {
    const R = this.extra.size, seed = mixSeed(opts.seed, STREAM.mix);
    for (let pass = Math.floor(start / R), from = start % R; ; pass++, from = 0) {
      let any = false;
      for await (const rows of this.extra.examples(chunk, { shuffle: opts.shuffle, seed, epoch: pass }, from)) {
        any ||= rows.length > 0;
        yield rows;
      }
      if (!any && from === 0) throw new Error('the rows to mix in are all unusable');
    }
  }
}

/** One example at a time from a generator of chunks; undefined once it ends. */
function queue(chunks: AsyncGenerator<Example[]>) {
  let buffer: Example[] = [];
  let i = 0;
  return {
    async next(): Promise<Example | undefined> {
      while (i >= buffer.length) {
        const r = await chunks.next();
        if (r.done) return undefined;
        buffer = r.value;
        i = 0;
      }
      return buffer[i++];
    },
    close: async () => {
      await chunks.return(undefined);
    },
  };
}
