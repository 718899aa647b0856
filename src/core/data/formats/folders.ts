// Folders of examples: one sub-folder per label (`cat/1.jpg`, `pos/review1.txt`), optionally under split
// folders (`train/cat/1.jpg`, `validation/cat/7.jpg`). Each file is one row.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isUtf8 } from 'node:buffer';
import type { Row, RowRef, ScannedRow, Table } from './table.js';

export type SplitName = 'train' | 'validation' | 'test';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);
const TEXT_EXT = new Set(['.txt']);
const SPLIT_DIRS: Record<string, SplitName> = {
  train: 'train', training: 'train',
  validation: 'validation', valid: 'validation', val: 'validation', eval: 'validation', dev: 'validation',
  test: 'test', testing: 'test',
};

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0); // code-unit order: the same everywhere
const visible = (name: string) => !name.startsWith('.');

/** Whether a folder holds images or text files (the first media file found decides). */
export function folderKind(dir: string): 'image' | 'text' | undefined {
  for (const f of walk(dir)) {
    const ext = path.extname(f).toLowerCase();
    if (IMAGE_EXT.has(ext)) return 'image';
    if (TEXT_EXT.has(ext)) return 'text';
  }
  return undefined;
}

/** The split sub-folders of a dataset folder (`train/`, `validation/`, `test/`...), if it has any. */
export function splitFolders(dir: string): Partial<Record<SplitName, string>> | undefined {
  const found: Partial<Record<SplitName, string>> = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => byName(a.name, b.name))) {
    const split = SPLIT_DIRS[e.name.toLowerCase()];
    if (e.isDirectory() && split && !found[split]) found[split] = path.join(dir, e.name);
  }
  return found.train ? found : undefined;
}

export async function openFolder(dir: string, kind: 'image' | 'text'): Promise<Table> {
  const exts = kind === 'image' ? IMAGE_EXT : TEXT_EXT;
  const items: { file: string; label?: string }[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).filter((e) => visible(e.name)).sort((a, b) => byName(a.name, b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      for (const f of walk(p)) if (exts.has(path.extname(f).toLowerCase())) items.push({ file: f, label: e.name });
    } else if (exts.has(path.extname(e.name).toLowerCase())) {
      items.push({ file: p }); // a file outside any label folder has no label
    }
  }
  const content = kind === 'image' ? 'image' : 'text';
  const columns = items.some((i) => i.label !== undefined) ? [content, 'label'] : [content];

  function read(i: number): Row | string {
    const { file, label } = items[i];
    const row: Row = label === undefined ? {} : { label };
    if (kind === 'image') {
      row.image = file;
    } else {
      const buf = fs.readFileSync(file);
      if (!isUtf8(buf)) return 'invalid UTF-8';
      row.text = buf.toString('utf8').replace(/^\uFEFF/, '').trim();
    }
    return row;
  }

  async function* rows(): AsyncGenerator<ScannedRow[]> {
    const CHUNK = 256;
    for (let s = 0; s < items.length; s += CHUNK) {
      const out: ScannedRow[] = [];
      for (let i = s; i < Math.min(items.length, s + CHUNK); i++) {
        const ref = { start: i, len: 0, line: i + 1 };
        const r = read(i);
        out.push(typeof r === 'string' ? { ref, error: r } : { ref, values: r });
      }
      yield out;
    }
  }

  return {
    format: kind === 'image' ? 'image-folder' : 'text-folder', path: dir, columns, unit: 'row', exactCount: items.length,
    sizeBytes: 0, rows, fetch: async (refs: RowRef[]) => refs.map((r) => read(r.start)), fileOf: (ref) => items[ref.start].file,
  };
}

/** Files under a folder, depth first, in name order, skipping hidden entries. */
function* walk(dir: string): Generator<string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).filter((e) => visible(e.name)).sort((a, b) => byName(a.name, b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile()) yield p;
  }
}
