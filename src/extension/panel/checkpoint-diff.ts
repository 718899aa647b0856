// Diffing two checkpoints: per-module relative change ‖ΔW‖/‖W‖, the parameters that changed most, eval metrics at
// both steps, and flipped predictions. Runs in the panel's worker thread (a large model is hundreds of MB).
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { MODEL_FILE, STATE_FILE } from '../../core/checkpoints/checkpoint.js';
import { decodeSafetensors } from '../../core/checkpoints/safetensors.js';
import { readMetrics, RUN_FILES } from '../../core/experiment/run-dir.js';
import type { ParamInfo } from '../../core/module-tree.js';
import type { CheckpointRef, DiffResult, ModuleChange, ParamChange } from '../../contracts/diff.js';
import { flippedPredictions, readPredictions } from './predictions.js';

export interface ParamChangeStats { name: string; delta2: number; norm2: number }

/** Σ(b−a)² and Σa² per parameter present in both; parameters of different sizes mean different models. */
export function changeStats(a: Map<string, Float32Array>, b: Map<string, Float32Array>): ParamChangeStats[] {
  const out: ParamChangeStats[] = [];
  for (const [name, x] of a) {
    const y = b.get(name);
    if (!y) continue;
    if (y.length !== x.length) throw new Error(`the checkpoints are of different models: '${name}' has ${x.length} values in one and ${y.length} in the other`);
    let d2 = 0, n2 = 0;
    for (let i = 0; i < x.length; i++) {
      const d = y[i] - x[i];
      d2 += d * d;
      n2 += x[i] * x[i];
    }
    out.push({ name, delta2: d2, norm2: n2 });
  }
  return out;
}

const rel = (d2: number, n2: number) => (n2 > 0 ? Math.sqrt(d2 / n2) : d2 > 0 ? Infinity : 0);

/** Paths from the checkpoint's own names when the model is not at hand: `a.b.weight` is in module `a.b`. */
export function infosFromNames(names: string[]): ParamInfo[] {
  return names.map((name) => {
    const dot = name.lastIndexOf('.');
    return { name, path: name, module: dot > 0 ? name.slice(0, dot) : '', dims: [], size: 0 };
  });
}

/**
 * Per-module change over the module's parameters in both checkpoints (modules in model order). A module none of
 * whose parameters was saved was frozen in both runs: it shows zero change, marked frozen.
 */
export function moduleChanges(stats: ParamChangeStats[], infos: ParamInfo[], top = 20): { modules: ModuleChange[]; topParams: ParamChange[] } {
  const byName = new Map(stats.map((s) => [s.name, s]));
  const known = new Set(infos.map((p) => p.name));
  const all = [...infos, ...infosFromNames(stats.map((s) => s.name).filter((n) => !known.has(n)))];
  const modules = new Map<string, { d2: number; n2: number; params: number; saved: number }>();
  for (const p of all) {
    const m = modules.get(p.module) ?? { d2: 0, n2: 0, params: 0, saved: 0 };
    const s = byName.get(p.name);
    m.params++;
    if (s) {
      m.d2 += s.delta2;
      m.n2 += s.norm2;
      m.saved++;
    }
    modules.set(p.module, m);
  }
  const pathOf = new Map(all.map((p) => [p.name, p.path]));
  return {
    modules: [...modules].map(([p, m]) => ({ path: p || '(root)', rel: rel(m.d2, m.n2), params: m.params, frozen: m.saved === 0 })),
    topParams: stats
      .map((s) => ({ name: s.name, path: pathOf.get(s.name) ?? s.name, rel: rel(s.delta2, s.norm2), delta: Math.sqrt(s.delta2), norm: Math.sqrt(s.norm2) }))
      .sort((x, y) => y.rel - x.rel)
      .slice(0, top),
  };
}

/** `runs/x/checkpoints/step-000100` → run `runs/x`, step 100 (state.json's step when it has one). */
export async function checkpointRef(dir: string): Promise<CheckpointRef> {
  const runDir = path.dirname(path.dirname(dir));
  let step = Number(/(\d+)$/.exec(path.basename(dir))?.[1] ?? NaN);
  try {
    const s = JSON.parse(await readFile(path.join(dir, STATE_FILE), 'utf8')) as { step?: unknown };
    if (typeof s.step === 'number') step = s.step;
  } catch {
    // no state.json: the directory name tells the step
  }
  if (!Number.isInteger(step)) throw new Error(`${dir}: not a checkpoint directory (no step in its name or state.json)`);
  return { dir, label: `${path.basename(runDir)} @ step ${step}`, step };
}

async function loadParams(dir: string): Promise<Map<string, Float32Array>> {
  const file = path.join(dir, MODEL_FILE);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new Error(`checkpoint ${dir} is missing ${MODEL_FILE} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const out = new Map<string, Float32Array>();
  for (const [name, t] of Object.entries(decodeSafetensors(bytes, file).tensors)) {
    if (t.dtype !== 'F32') throw new Error(`${file}: tensor "${name}" is ${t.dtype}, expected F32`);
    out.set(name, t.data as Float32Array);
  }
  return out;
}

function evalAt(runDir: string, step: number): Map<string, { loss?: number; accuracy?: number }> {
  const out = new Map<string, { loss?: number; accuracy?: number }>();
  for (const r of readMetrics(runDir)) {
    if (r.step !== step || typeof r.split !== 'string') continue;
    out.set(r.split, { loss: typeof r.loss === 'number' ? r.loss : undefined, accuracy: typeof r.accuracy === 'number' ? r.accuracy : undefined });
  }
  return out;
}

async function readLabels(runDir: string): Promise<string[]> {
  try {
    const v = JSON.parse(await readFile(path.join(runDir, RUN_FILES.labels), 'utf8'));
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}

/** The whole diff of two checkpoint dirs; `infos` (the model's parameters, when known) name the modules. */
export async function diffCheckpoints(aDir: string, bDir: string, infos: ParamInfo[] = []): Promise<DiffResult> {
  const [a, b] = await Promise.all([checkpointRef(aDir), checkpointRef(bDir)]);
  const [pa, pb] = await Promise.all([loadParams(aDir), loadParams(bDir)]);
  const { modules, topParams } = moduleChanges(changeStats(pa, pb), infos);

  const runA = path.dirname(path.dirname(aDir)), runB = path.dirname(path.dirname(bDir));
  const ea = evalAt(runA, a.step), eb = evalAt(runB, b.step);
  const metrics = [...new Set([...ea.keys(), ...eb.keys()])].map((split) => ({ split, a: ea.get(split) ?? null, b: eb.get(split) ?? null }));

  const [preda, predb] = await Promise.all([readPredictions(aDir), readPredictions(bDir)]);
  const missing = [...(preda ? [] : [a.label]), ...(predb ? [] : [b.label])];
  const flips = preda && predb ? flippedPredictions(preda, predb, await readLabels(runB)) : { compared: 0, total: 0, flipped: [], fixed: 0, broken: 0 };
  return { type: 'diff/result', a, b, modules, topParams, metrics, predictions: { missing, ...flips } };
}
