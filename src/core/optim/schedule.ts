import type { OptimizerSpec } from './types.js';

/**
 * The lr used for the update at 0-based `step` of `totalSteps`, matching Hugging Face transformers'
 * get_{constant,linear,cosine}_schedule_with_warmup (a LambdaLR factor times the base lr).
 */
export function lrAt(spec: OptimizerSpec, step: number, totalSteps: number): number {
  if (!Number.isInteger(step) || step < 0) throw new Error(`lr schedule step must be a non-negative integer, got ${step}`);
  if (!Number.isInteger(totalSteps) || totalSteps < 0) {
    throw new Error(`lr schedule totalSteps must be a non-negative integer, got ${totalSteps}`);
  }
  return spec.lr * lrFactor(spec, step, totalSteps);
}

function lrFactor(spec: OptimizerSpec, s: number, total: number): number {
  const schedule = spec.schedule ?? { type: 'constant' };
  const w = schedule.warmupSteps ?? 0;
  if (s < w) return s / Math.max(1, w);
  switch (schedule.type) {
    case 'constant':
      return 1;
    case 'linear':
      return Math.max(0, (total - s) / Math.max(1, total - w));
    case 'cosine': {
      const progress = (s - w) / Math.max(1, total - w);
      const numCycles = schedule.numCycles ?? 0.5;
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * numCycles * 2 * progress)));
    }
    default:
      throw new Error(`optimizer.schedule.type must be constant, linear or cosine, got ${(schedule as { type: unknown }).type}`);
  }
}
