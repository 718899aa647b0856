// Reads and edits the freezing fields of an experiment file. Only `freeze` and `groups` change; every other field
// stays as the user wrote it (JSON comments are not allowed in experiment files, so a parse/stringify keeps them all).
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { writeFileAtomic } from '../../core/checkpoints/atomic.js';
import { parseExperiment, type ExperimentSpec } from '../../core/experiment/spec.js';
import type { LrGroup } from '../../contracts/model.js';

export interface ExperimentFile {
  file: string;
  /** The file as parsed, before defaults: what gets written back. */
  raw: Record<string, unknown>;
  spec: ExperimentSpec;
  modelPath: string;
}

export async function readExperimentFile(file: string): Promise<ExperimentFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read experiment ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const spec = parseExperiment(raw, file);
  return { file, raw: raw as Record<string, unknown>, spec, modelPath: path.resolve(path.dirname(file), spec.model) };
}

/** Writes new `freeze` globs and/or `groups` (an empty list removes the field), atomically, keeping the file's
 * indentation and everything else. Returns the text written. */
export async function writeFreezing(f: ExperimentFile, change: { freeze?: string[]; groups?: LrGroup[] }): Promise<string> {
  const next: Record<string, unknown> = { ...f.raw };
  if (change.freeze) {
    if (change.freeze.length) next.freeze = change.freeze;
    else delete next.freeze;
  }
  if (change.groups) {
    if (change.groups.length) next.groups = change.groups;
    else delete next.groups;
  }
  parseExperiment(next, f.file); // never write a file the engine would refuse
  const text = JSON.stringify(next, null, indentOf(await readFile(f.file, 'utf8').catch(() => ''))) + '\n';
  await writeFileAtomic(f.file, text);
  return text;
}

function indentOf(text: string): string | number {
  const m = /\n([ \t]+)"/.exec(text);
  return m ? m[1] : 2;
}
