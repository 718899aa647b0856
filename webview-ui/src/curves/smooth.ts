/**
 * TensorBoard's smoothing: an exponential moving average debiased like Adam's first moment, so the first points
 * are not pulled towards zero. `weight` 0 is the raw curve; non-finite values pass through without moving the average.
 */
export function emaDebiased(y: ArrayLike<number>, weight: number, out = new Float64Array(y.length)): Float64Array {
  let last = 0;
  let debias = 0;
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    debias = debias * weight + (1 - weight);
    out[i] = last / debias;
  }
  return out;
}
