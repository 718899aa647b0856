import type { ParamGroup, TrainParam } from './types.js';

/** The lr and weight decay that apply to `p` this step. */
export function groupSettings(
  p: TrainParam,
  groups: ParamGroup[],
  lr: number,
  defaultWeightDecay: number,
): { lr: number; weightDecay: number } {
  const g = groups[p.group];
  if (!g) throw new Error(`param ${p.name} has group ${p.group}, but there are ${groups.length} groups`);
  if (p.grad.length !== p.data.length) {
    throw new Error(`param ${p.name} has ${p.data.length} values but its grad has ${p.grad.length}`);
  }
  return { lr: lr * g.lrScale, weightDecay: g.weightDecay ?? defaultWeightDecay };
}

/** Fetches or creates a zeroed per-param state tensor, checking its size. */
export function stateFor(states: Map<string, Float32Array>, p: TrainParam, kind: string): Float32Array {
  let s = states.get(p.name);
  if (!s) {
    s = new Float32Array(p.data.length);
    states.set(p.name, s);
  } else if (s.length !== p.data.length) {
    throw new Error(`${kind}.${p.name} has ${s.length} values but the param has ${p.data.length}`);
  }
  return s;
}

/**
 * Splits "kind.<param>" tensors into one map per kind (copies), rejecting unknown kinds.
 * Param names may contain dots, so only the first dot separates.
 */
export function splitState(
  tensors: Record<string, Float32Array>,
  kinds: string[],
  optimizer: string,
): Map<string, Map<string, Float32Array>> {
  const out = new Map(kinds.map((k) => [k, new Map<string, Float32Array>()]));
  for (const [key, value] of Object.entries(tensors)) {
    const dot = key.indexOf('.');
    const states = dot > 0 ? out.get(key.slice(0, dot)) : undefined;
    if (!states) throw new Error(`${optimizer} state has unexpected tensor "${key}" (expected ${kinds.join('/')}.<param>)`);
    states.set(key.slice(dot + 1), Float32Array.from(value));
  }
  return out;
}

export function stateRecord(kind: string, states: Map<string, Float32Array>, into: Record<string, Float32Array>): void {
  for (const [name, s] of states) into[`${kind}.${name}`] = s;
}
