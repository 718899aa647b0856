/** Global L2 norm over all gradients, accumulated in double. */
export function gradNorm(params: ReadonlyArray<{ grad: Float32Array }>): number {
  let sum = 0;
  for (const { grad } of params) {
    for (let i = 0; i < grad.length; i++) sum += grad[i] * grad[i];
  }
  return Math.sqrt(sum);
}

/**
 * torch.nn.utils.clip_grad_norm_: scales every gradient by maxNorm / (norm + 1e-6) when that is
 * below 1. Returns the norm before clipping.
 */
export function clipGradNorm(params: ReadonlyArray<{ grad: Float32Array }>, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new Error(`maxGradNorm must be a positive number, got ${maxNorm}`);
  const total = gradNorm(params);
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) {
    const scale = Math.fround(coef); // torch multiplies by a float32 scalar tensor
    for (const { grad } of params) {
      for (let i = 0; i < grad.length; i++) grad[i] *= scale;
    }
  }
  return total;
}
