import { randomBytes } from 'node:crypto';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A sibling name for work in progress, unique to this process and call. */
export function tempPath(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** File contents; a list of chunks is written in order, so large files need not be concatenated first. */
export type FileData = string | Uint8Array | Uint8Array[];

/** Writes and fsyncs a new file (failing if it exists). */
export async function writeFileSynced(path: string, data: FileData): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await writeFile(handle, data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces `path` so readers see either the old file or the complete new one, never a partial write. */
export async function writeFileAtomic(path: string, data: FileData): Promise<void> {
  const tmp = tempPath(path);
  try {
    await writeFileSynced(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
  await syncDir(dirname(path));
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, toJson(value));
}

/** Pretty JSON with a trailing newline; throws for values JSON cannot hold (undefined, functions). */
export function toJson(value: unknown): string {
  const json = JSON.stringify(value, null, 2);
  if (json === undefined) throw new Error(`cannot write ${typeof value} as JSON`);
  return json + '\n';
}

/** Makes a rename durable. Best-effort: some platforms (Windows) cannot open or fsync a directory. */
export async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // ignore
  }
}
