import { readSafetensors } from '../checkpoints/safetensors.js';
import { mixSeed, mulberry32, STREAM } from '../data/random.js';
import { UserError } from '../onnx/errors.js';
import type { AdapterValues } from './inject.js';
import { peftName, type LoraTarget } from './types.js';

/**
 * PEFT's default init: A Kaiming-uniform with a = √5 (bound = gain·√(3/fan_in) with gain = √(2/(1+a²)), i.e.
 * 1/√in), B zero, so the adapted model starts as the base model. Drawn from the run's seed, in target order.
 */
export function peftInit(targets: LoraTarget[], r: number, seed: number): AdapterValues {
  const rand = mulberry32(mixSeed(seed, STREAM.lora));
  const values: AdapterValues = new Map();
  for (const t of targets) {
    const bound = 1 / Math.sqrt(t.in);
    values.set(t.a, Float32Array.from({ length: r * t.in }, () => (2 * rand() - 1) * bound));
    values.set(t.b, new Float32Array(t.out * r));
  }
  return values;
}

/** Adapters from a PEFT safetensors file: every target's A [r, in] and B [out, r], and nothing else. */
export async function adaptersFromFile(file: string, targets: LoraTarget[], r: number): Promise<AdapterValues> {
  let tensors;
  try {
    ({ tensors } = await readSafetensors(file));
  } catch (e) {
    throw new UserError(`lora.init ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const values: AdapterValues = new Map();
  const known = new Set<string>();
  for (const t of targets) {
    for (const [which, name, shape] of [['A', t.a, [r, t.in]], ['B', t.b, [t.out, r]]] as const) {
      const key = peftName(t.module, which);
      known.add(key);
      const x = tensors[key];
      if (!x) throw new UserError(`lora.init ${file}: no tensor '${key}' (module '${t.module}' is a target)`);
      if (x.dtype !== 'F32') throw new UserError(`lora.init ${file}: '${key}' is ${x.dtype}, expected F32`);
      if (x.shape.join(',') !== shape.join(',')) throw new UserError(`lora.init ${file}: '${key}' has shape [${x.shape}], expected [${shape}] (r=${r})`);
      values.set(name, Float32Array.from(x.data as Float32Array));
    }
  }
  const extra = Object.keys(tensors).filter((k) => !known.has(k));
  if (extra.length) throw new UserError(`lora.init ${file}: '${extra[0]}'${extra.length > 1 ? ` and ${extra.length - 1} more` : ''} match no lora.target module`);
  return values;
}
