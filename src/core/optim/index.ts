import { AdamW } from './adamw.js';
import { Sgd } from './sgd.js';
import type { Optimizer, OptimizerSpec } from './types.js';

export { AdamW, type AdamWOptions } from './adamw.js';
export { Sgd, type SgdOptions } from './sgd.js';
export { clipGradNorm, gradNorm } from './clip.js';
export { lrAt } from './schedule.js';
export type { Optimizer, OptimizerSpec, ParamGroup, ScheduleSpec, TrainParam } from './types.js';

export function createOptimizer(spec: OptimizerSpec): Optimizer {
  validateOptimizerSpec(spec);
  if (spec.name === 'sgd') {
    return new Sgd({ momentum: spec.momentum, dampening: spec.dampening, weightDecay: spec.weightDecay, nesterov: spec.nesterov });
  }
  return new AdamW({ betas: spec.betas, eps: spec.eps, weightDecay: spec.weightDecay });
}

const COMMON_FIELDS = ['name', 'lr', 'weightDecay', 'schedule', 'maxGradNorm'];
const FIELDS: Record<OptimizerSpec['name'], string[]> = {
  sgd: [...COMMON_FIELDS, 'momentum', 'dampening', 'nesterov'],
  adamw: [...COMMON_FIELDS, 'betas', 'eps'],
};

/** Throws an error naming the first bad field (e.g. "optimizer.lr must be a positive number, got -1"). */
export function validateOptimizerSpec(spec: OptimizerSpec): void {
  if (typeof spec !== 'object' || spec === null) throw new Error(`optimizer must be an object, got ${show(spec)}`);
  const fields = FIELDS[spec.name];
  if (!fields) throw new Error(`optimizer.name must be "sgd" or "adamw", got ${show(spec.name)}`);
  for (const key of Object.keys(spec)) {
    const value = (spec as unknown as Record<string, unknown>)[key];
    if (value !== undefined && !fields.includes(key)) {
      throw new Error(`optimizer.${key} is not an option of ${spec.name} (options: ${fields.join(', ')})`);
    }
  }
  if (!(isNumber(spec.lr) && spec.lr > 0)) bad('lr', 'a positive number', spec.lr);
  optional(spec.weightDecay, (v) => isNumber(v) && v >= 0, 'weightDecay', 'a non-negative number');
  optional(spec.momentum, (v) => isNumber(v) && v >= 0, 'momentum', 'a non-negative number');
  optional(spec.dampening, isNumber, 'dampening', 'a number');
  optional(spec.nesterov, (v) => typeof v === 'boolean', 'nesterov', 'true or false');
  if (spec.nesterov && !((spec.momentum ?? 0) > 0 && (spec.dampening ?? 0) === 0)) {
    throw new Error('optimizer.nesterov needs momentum > 0 and dampening 0');
  }
  optional(
    spec.betas,
    (v) => Array.isArray(v) && v.length === 2 && v.every((b) => isNumber(b) && b >= 0 && b < 1),
    'betas',
    'two numbers in [0, 1)',
  );
  optional(spec.eps, (v) => isNumber(v) && v >= 0, 'eps', 'a non-negative number');
  optional(spec.maxGradNorm, (v) => isNumber(v) && v > 0, 'maxGradNorm', 'a positive number');
  if (spec.schedule !== undefined) validateSchedule(spec.schedule);
}

function validateSchedule(schedule: OptimizerSpec['schedule']): void {
  if (typeof schedule !== 'object' || schedule === null) bad('schedule', 'an object', schedule);
  const types = ['constant', 'linear', 'cosine'];
  if (!types.includes(schedule.type)) bad('schedule.type', `one of ${types.join(', ')}`, schedule.type);
  for (const key of Object.keys(schedule)) {
    const allowed = schedule.type === 'cosine' ? ['type', 'warmupSteps', 'numCycles'] : ['type', 'warmupSteps'];
    if (!allowed.includes(key)) throw new Error(`optimizer.schedule.${key} is not an option of the ${schedule.type} schedule`);
  }
  const isCount = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  optional(schedule.warmupSteps, isCount, 'schedule.warmupSteps', 'a non-negative integer');
  if (schedule.type === 'cosine') {
    optional(schedule.numCycles, (v) => isNumber(v) && v >= 0, 'schedule.numCycles', 'a non-negative number');
  }
}

function optional<T>(value: T | undefined, ok: (v: T) => boolean, field: string, what: string): void {
  if (value !== undefined && !ok(value)) bad(field, what, value);
}

function bad(field: string, what: string, value: unknown): never {
  throw new Error(`optimizer.${field} must be ${what}, got ${show(value)}`);
}

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function show(v: unknown): string {
  return typeof v === 'string' || (typeof v === 'object' && v !== null) ? JSON.stringify(v) : String(v);
}
