/**
 * Min/max decimation per pixel bucket (M4): of the points falling in each of `buckets` equal x-ranges, keep the
 * first, the lowest, the highest and the last, in x order. Spikes and the envelope survive, and the line drawn
 * from at most 4 points per pixel column looks the same as from all of them. `x` must be ascending.
 */
export function decimateMinMax(x: ArrayLike<number>, y: ArrayLike<number>, n: number, buckets: number): { x: number[]; y: number[] } {
  const ox: number[] = [];
  const oy: number[] = [];
  if (n === 0) return { x: ox, y: oy };
  if (n <= 4 * buckets) {
    for (let i = 0; i < n; i++) {
      ox.push(x[i]);
      oy.push(y[i]);
    }
    return { x: ox, y: oy };
  }
  const x0 = x[0];
  const span = x[n - 1] - x0 || 1;
  let i = 0;
  while (i < n) {
    const b = Math.min(buckets - 1, Math.floor(((x[i] - x0) / span) * buckets));
    const first = i;
    let lo = i, hi = i;
    i++;
    while (i < n && Math.min(buckets - 1, Math.floor(((x[i] - x0) / span) * buckets)) === b) {
      // NaN never wins a comparison: a diverged point does not hide the envelope.
      if (y[i] < y[lo] || !(y[lo] === y[lo])) lo = i;
      if (y[i] > y[hi] || !(y[hi] === y[hi])) hi = i;
      i++;
    }
    const last = i - 1;
    for (const k of [...new Set([first, Math.min(lo, hi), Math.max(lo, hi), last])].sort((a, b) => a - b)) {
      ox.push(x[k]);
      oy.push(y[k]);
    }
  }
  return { x: ox, y: oy };
}
