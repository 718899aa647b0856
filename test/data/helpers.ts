// Small helpers for the data tests: temp folders and the fixture models' inputs.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';
import type { ModelInput } from '../../src/core/data/types.js';

/** A fresh temp folder, removed when the test file ends. */
export function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-data-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes files (path → content) under `dir`, creating folders; returns `dir`. */
export function writeFiles(dir: string, files: Record<string, string | Buffer>): string {
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

export const REPO = path.resolve(import.meta.dirname, '../../..');
export const FIXTURES = path.join(REPO, 'test/fixtures');
export const DATA_FIXTURES = path.join(FIXTURES, 'data');

/** The graph inputs of the committed fixture models (as onnxruntime reports them). */
export const MODEL_INPUTS: Record<'encoder' | 'mlp' | 'cnnbn', ModelInput[]> = {
  encoder: [
    { name: 'input_ids', type: 'int64', dims: ['batch', 16] },
    { name: 'attention_mask', type: 'int64', dims: ['batch', 16] },
  ],
  mlp: [{ name: 'features', type: 'float32', dims: ['batch', 12] }],
  cnnbn: [{ name: 'pixel_values', type: 'float32', dims: ['batch', 1, 12, 12] }],
};

/** All batches of an async iterable. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** A BERT-style text model with sequence length 16, and the committed WordPiece tokenizer. */
export const TEXT_INPUTS: ModelInput[] = [
  { name: 'input_ids', type: 'int64', dims: ['batch', 16] },
  { name: 'attention_mask', type: 'int64', dims: ['batch', 16] },
  { name: 'token_type_ids', type: 'int64', dims: ['batch', 16] },
];
export const WORDPIECE = path.join(DATA_FIXTURES, 'wordpiece/tokenizer.json');

/** Numbers of an int64 or float32 tensor. */
export const nums = (t: { data: Float32Array | BigInt64Array }) => Array.from(t.data as ArrayLike<number | bigint>, Number);
