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
  const scale = buckets / (x[n - 1] - x0 || 1);
  const last = buckets - 1;
  // Indices kept for a bucket are ascending (first <= lo, hi <= end): each is pushed only past the one before.
  let kept = -1;
  const keep = (k: number) => {
    if (k <= kept) return;
    kept = k;
    ox.push(x[k]);
    oy.push(y[k]);
  };
  let i = 0;
  while (i < n) {
    const b = Math.min(last, Math.floor((x[i] - x0) * scale));
    const first = i;
    let lo = i, hi = i;
    let ylo = y[i], yhi = y[i];
    i++;
    for (; i < n && Math.min(last, Math.floor((x[i] - x0) * scale)) === b; i++) {
      const v = y[i];
      // NaN never wins a comparison: a diverged point does not hide the envelope.
      if (v < ylo || ylo !== ylo) { lo = i; ylo = v; }
      if (v > yhi || yhi !== yhi) { hi = i; yhi = v; }
    }
    keep(first);
    keep(Math.min(lo, hi));
    keep(Math.max(lo, hi));
    keep(i - 1);
  }
  return { x: ox, y: oy };
}
