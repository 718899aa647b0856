import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError } from '../errors.js';
import type { Format } from '../types.js';
import { openCsv } from './csv.js';
import { folderKind, openFolder } from './folders.js';
import { openJsonArray, openJsonl, openTextLines } from './jsonl.js';
import { openParquet } from './parquet.js';
import { firstBytes } from './ranges.js';
import type { Table } from './table.js';

const BY_EXTENSION: Record<string, Format> = {
  '.csv': 'csv', '.tsv': 'tsv', '.tab': 'tsv', '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.json': 'json',
  '.parquet': 'parquet', '.pq': 'parquet', '.txt': 'text', '.text': 'text',
};

/** The format of a file or folder: by extension, else by its first bytes. */
export function detectFormat(p: string): Format {
  if (!fs.existsSync(p)) throw new DataError(p, 'no such file or folder');
  if (fs.statSync(p).isDirectory()) {
    const kind = folderKind(p);
    if (!kind) throw new DataError(p, 'no .png/.jpg/.jpeg or .txt files in this folder');
    return kind === 'image' ? 'image-folder' : 'text-folder';
  }
  const byExt = BY_EXTENSION[path.extname(p).toLowerCase()];
  const head = firstBytes(p, 64 * 1024);
  if (head.subarray(0, 4).toString('latin1') === 'PAR1') return 'parquet';
  const text = head.toString('utf8').replace(/^\uFEFF/, '').trimStart();
  const firstChar = text[0];
  // Hugging Face's `to_json` writes JSON Lines into .json files: an object on the first line, more after it.
  if (byExt === 'json' && firstChar === '{') return isJsonLines(text) ? 'jsonl' : 'json';
  if (byExt) return byExt;
  if (firstChar === '{') return 'jsonl';
  if (firstChar === '[') return 'json';
  throw new DataError(p, 'unsupported file type (expected .csv, .tsv, .jsonl, .json, .parquet, .txt or a folder)');
}

export async function openTable(p: string, opts: { header?: boolean } = {}): Promise<Table> {
  const format = detectFormat(p);
  switch (format) {
    case 'csv':
    case 'tsv':
      return openCsv(p, format, opts);
    case 'jsonl':
      return openJsonl(p);
    case 'json':
      return openJsonArray(p);
    case 'parquet':
      return openParquet(p);
    case 'text':
      return openTextLines(p);
    case 'image-folder':
      return openFolder(p, 'image');
    case 'text-folder':
      return openFolder(p, 'text');
  }
}

function isJsonLines(text: string): boolean {
  const nl = text.indexOf('\n');
  if (nl === -1 || text.slice(nl).trim() === '') return false;
  try {
    return typeof JSON.parse(text.slice(0, nl)) === 'object';
  } catch {
    return false;
  }
}

