// Train/validation/test splits by fraction: seeded, stratified by label.
import { mixSeed, mulberry32, shuffleInPlace, STREAM } from './random.js';

export interface Splits {
  train: Uint32Array;
  validation?: Uint32Array;
  test?: Uint32Array;
}

/**
 * Splits rows 0..n-1. With labels and `stratify` (the default), each class is split in the same proportions,
 * so rare classes appear in every split they can. Each split lists its rows in file order.
 */
export function splitRows(n: number, fractions: { validation?: number; test?: number }, opts: { seed: number; labels?: Int32Array; stratify?: boolean }): Splits {
  const val = fractions.validation ?? 0;
  const test = fractions.test ?? 0;
  if (!(val >= 0 && test >= 0 && val + test < 1)) throw new Error(`split fractions must be ≥ 0 and sum to less than 1 (validation ${val}, test ${test})`);
  const all = Uint32Array.from({ length: n }, (_, i) => i);
  if (val === 0 && test === 0) return { train: all };

  const rand = mulberry32(mixSeed(opts.seed, STREAM.split));
  const groups: Uint32Array[] = [];
  if (opts.labels && opts.stratify !== false) {
    const byLabel = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const l = opts.labels[i];
      if (!byLabel.has(l)) byLabel.set(l, []);
      byLabel.get(l)!.push(i);
    }
    for (const l of [...byLabel.keys()].sort((a, b) => a - b)) groups.push(Uint32Array.from(byLabel.get(l)!));
  } else {
    groups.push(all);
  }
  const parts = { train: [] as number[], validation: [] as number[], test: [] as number[] };
  const sizes = groups.map((g) => g.length);
  const nTest = allocate(sizes, test);
  const nVal = allocate(sizes, val);
  groups.forEach((g, i) => {
    shuffleInPlace(g, rand);
    g.forEach((row, k) => parts[k < nTest[i] ? 'test' : k < nTest[i] + nVal[i] ? 'validation' : 'train'].push(row));
  });
  const sorted = (a: number[]) => Uint32Array.from(a).sort();
  return {
    train: sorted(parts.train),
    ...(val > 0 ? { validation: sorted(parts.validation) } : {}),
    ...(test > 0 ? { test: sorted(parts.test) } : {}),
  };
}

/**
 * How many rows of each group go to a split of fraction `frac`: the split gets round(total × frac) rows,
 * shared out in proportion to group size (largest remainder first, ties to the earlier group).
 */
function allocate(sizes: number[], frac: number): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const exact = sizes.map((n) => n * frac);
  const out = exact.map(Math.floor);
  let left = Math.round(total * frac) - out.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((e, i) => i).sort((a, b) => exact[b] - out[b] - (exact[a] - out[a]) || a - b);
  for (const i of byRemainder) {
    if (left <= 0) break;
    out[i]++;
    left--;
  }
  return out;
}
