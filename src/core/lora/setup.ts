import type { ModelProto } from 'onnx-buf';
import { matchesAny, type ParamInfo } from '../module-tree.js';
import { UserError } from '../onnx/errors.js';
import { adaptersFromFile, peftInit } from './init.js';
import { injectLora } from './inject.js';
import { loraTargets } from './targets.js';
import type { LoraInjection, LoraSpec } from './types.js';

export interface LoraOptions extends LoraSpec {
  /** Seed of PEFT's random init of A (unused with `init`). */
  seed: number;
}

/** Rewrites a prepared model for LoRA; the adapters start from `init` (a resolved path) or PEFT's init. */
export async function applyLora(prepared: ModelProto, opts: LoraOptions): Promise<{ model: ModelProto; lora: LoraInjection }> {
  if (opts.dropout) throw new UserError(`lora.dropout ${opts.dropout}: only 0 is supported`);
  if (!Number.isInteger(opts.r) || opts.r < 1) throw new UserError(`lora.r must be a positive integer, got ${opts.r}`);
  const targets = loraTargets(prepared.graph!, opts.target);
  const values = opts.init ? await adaptersFromFile(opts.init, targets, opts.r) : peftInit(targets, opts.r, opts.seed);
  return injectLora(prepared, opts, targets, values);
}

/** What trains under LoRA: the adapters, and the parameters `trainAlso` matches. Base weights stay constants. */
export function loraTrainable(params: ParamInfo[], lora: LoraInjection, trainAlso: string[] = []): string[] {
  const adapters = new Set(lora.targets.flatMap((t) => [t.a, t.b]));
  return params.filter((p) => adapters.has(p.name) || (trainAlso.length > 0 && matchesAny(p, trainAlso))).map((p) => p.name);
}
