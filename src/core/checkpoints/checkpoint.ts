import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { syncDir, tempPath, toJson, writeFileSynced } from './atomic.js';
import { decodeSafetensors, safetensorsChunks, type Tensor } from './safetensors.js';

export const MODEL_FILE = 'model.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const STATE_FILE = 'state.json';

export interface Checkpoint {
  params: Record<string, { dims: number[]; data: Float32Array }>;
  /** Optimizer state tensors, e.g. "exp_avg.<param>"; stored flat. */
  optimizer: Record<string, Float32Array>;
  /** JSON-serialisable training state (step, optimizer scalars, config...). */
  state: object;
  /** More files written with the checkpoint, by plain file name (e.g. eval-predictions.json); not read back. */
  files?: Record<string, string | Uint8Array>;
}

export interface CheckpointEntry {
  step: number;
  dir: string;
}

const STEP_DIR = /^step-(\d+)$/;

/** `runDir/checkpoints/step-000123`. */
export function checkpointDir(runDir: string, step: number): string {
  return join(runDir, 'checkpoints', `step-${String(step).padStart(6, '0')}`);
}

/**
 * Writes the checkpoint into a temporary sibling directory, then renames it to `dir`, so `dir`
 * is either absent/old or complete. An existing `dir` is replaced.
 */
export async function saveCheckpoint(dir: string, ckpt: Checkpoint): Promise<void> {
  const state = toJson(ckpt.state); // fail before writing anything if the state is not JSON
  const params: Record<string, Tensor> = {};
  for (const [name, p] of Object.entries(ckpt.params)) params[name] = { dtype: 'F32', shape: p.dims, data: p.data };
  const optimizer: Record<string, Tensor> = {};
  for (const [name, data] of Object.entries(ckpt.optimizer)) optimizer[name] = { dtype: 'F32', shape: [data?.length], data };

  const extra = Object.entries(ckpt.files ?? {});
  for (const [name] of extra) {
    if (!/^[\w-][\w.-]*$/.test(name) || [MODEL_FILE, OPTIMIZER_FILE, STATE_FILE].includes(name)) throw new Error(`checkpoint file name "${name}" is not allowed`);
  }
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const tmp = tempPath(dir);
  await mkdir(tmp);
  try {
    await writeFileSynced(join(tmp, MODEL_FILE), safetensorsChunks(params));
    await writeFileSynced(join(tmp, OPTIMIZER_FILE), safetensorsChunks(optimizer));
    await writeFileSynced(join(tmp, STATE_FILE), state);
    for (const [name, data] of extra) await writeFileSynced(join(tmp, name), data);
    await syncDir(tmp);
    await replaceDir(tmp, dir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
  await syncDir(parent);
}

/** Moves `from` to `to`, replacing a directory already at `to` (rename cannot replace a non-empty one). */
async function replaceDir(from: string, to: string): Promise<void> {
  if (!(await exists(to))) return rename(from, to);
  const old = tempPath(`${to}.old`);
  await rename(to, old);
  try {
    await rename(from, to);
  } catch (err) {
    await rename(old, to).catch(() => {});
    throw err;
  }
  await rm(old, { recursive: true, force: true });
}

export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const model = decodeSafetensors(await readPart(dir, MODEL_FILE), join(dir, MODEL_FILE));
  const opt = decodeSafetensors(await readPart(dir, OPTIMIZER_FILE), join(dir, OPTIMIZER_FILE));

  const params: Checkpoint['params'] = {};
  for (const [name, t] of Object.entries(model.tensors)) params[name] = { dims: t.shape, data: asF32(t, name, dir, MODEL_FILE) };
  const optimizer: Checkpoint['optimizer'] = {};
  for (const [name, t] of Object.entries(opt.tensors)) optimizer[name] = asF32(t, name, dir, OPTIMIZER_FILE);

  let state: unknown;
  try {
    state = JSON.parse((await readPart(dir, STATE_FILE)).toString('utf8'));
  } catch (err) {
    throw new Error(`${join(dir, STATE_FILE)}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof state !== 'object' || state === null) throw new Error(`${join(dir, STATE_FILE)}: expected a JSON object`);
  return { params, optimizer, state };
}

/** The complete checkpoints under `runDir/checkpoints`, oldest step first. Temporary directories are skipped. */
export async function listCheckpoints(runDir: string): Promise<CheckpointEntry[]> {
  const root = join(runDir, 'checkpoints');
  let names: string[];
  try {
    names = await readdir(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: CheckpointEntry[] = [];
  for (const name of names) {
    const match = STEP_DIR.exec(name);
    if (match && (await isDir(join(root, name)))) out.push({ step: Number(match[1]), dir: join(root, name) });
  }
  return out.sort((a, b) => a.step - b.step);
}

const TEMP = /^(.*?)(\.old)?\.tmp-(\d+)-[0-9a-f]+$/;

/**
 * Removes what killed processes left in `dir` (a run folder, or its checkpoints/): temporary files and checkpoint
 * folders written by `tempPath`. A process killed between the two renames of a replaced checkpoint leaves the old
 * one as `step-N.old.tmp-*` and no `step-N`: that one is put back. Temporaries of live processes are left alone.
 * Returns the names removed or restored.
 */
export async function removeStaleTemps(dir: string, alive: (pid: number) => boolean): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const done: string[] = [];
  // Restores first, so a `.tmp-` of the same step is not preferred over a complete old copy.
  for (const name of names.sort((a, b) => Number(b.includes('.old.tmp-')) - Number(a.includes('.old.tmp-')))) {
    const m = TEMP.exec(name);
    if (!m || Number(m[3]) === process.pid || alive(Number(m[3]))) continue;
    const target = join(dir, m[1]);
    if (m[2] && STEP_DIR.test(m[1]) && !(await exists(target))) await rename(join(dir, name), target);
    else await rm(join(dir, name), { recursive: true, force: true });
    done.push(name);
  }
  return done;
}

async function readPart(dir: string, file: string): Promise<Buffer> {
  try {
    return await readFile(join(dir, file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`checkpoint ${dir} is missing ${file}`);
    }
    throw err;
  }
}

function asF32(t: Tensor, name: string, dir: string, file: string): Float32Array {
  if (t.dtype !== 'F32') throw new Error(`${join(dir, file)}: tensor "${name}" is ${t.dtype}, expected F32`);
  return t.data as Float32Array;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
