// The UCI handwritten digits (8×8, 1,797 samples) as the files users have: one CSV of the whole set and image
// folders per task and split. Deterministic: the same input gives byte-identical files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { Rng } from '../../src/core/onnx/builder.js';

export interface Digit {
  /** Row number in the original file (0-based): the image file names keep it, for tracing back. */
  id: number;
  /** 64 pixels, row-major, integers 0..16 (counts of on-pixels in 4×4 blocks of a 32×32 bitmap). */
  pixels: number[];
  label: number;
}

/** The source task (pretraining) and the target task (fine-tuning) of the shipped example. */
export const SOURCE_CLASSES = [0, 1, 2, 3, 4];
export const TARGET_CLASSES = [5, 6, 7, 8, 9];
export const VALIDATION_FRACTION = 0.25;
const SPLIT_SEED = 20240501;

const PIXEL_COLUMNS = Array.from({ length: 64 }, (_, i) => `pixel_${Math.floor(i / 8)}_${i % 8}`);

/**
 * Parses scikit-learn's `digits.csv.gz` (Debian: python3-sklearn, sklearn/datasets/data/) — no header, 64 pixel
 * columns then the label — or our own `digits.csv` (header `pixel_0_0,…,pixel_7_7,label`).
 */
export function readDigits(file: string): Digit[] {
  let bytes = fs.readFileSync(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  const lines = bytes.toString('utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines[0]?.startsWith('pixel_')) lines.shift();
  return lines.map((line, id) => {
    const v = line.split(',').map(Number);
    if (v.length !== 65 || v.some((x) => !Number.isInteger(x) || x < 0 || x > 16)) {
      throw new Error(`${file}: row ${id + 1} is not 64 pixels in 0..16 and a label`);
    }
    return { id, pixels: v.slice(0, 64), label: v[64] };
  });
}

export function digitsCsv(digits: Digit[]): string {
  return [[...PIXEL_COLUMNS, 'label'].join(','), ...digits.map((d) => [...d.pixels, d.label].join(','))].join('\n') + '\n';
}

/** Per class, a seeded shuffle, then the first quarter is validation: each split has every class in proportion. */
export function splitDigits(digits: Digit[]): { train: Digit[]; validation: Digit[] } {
  const rng = new Rng(SPLIT_SEED);
  const train: Digit[] = [], validation: Digit[] = [];
  for (let c = 0; c < 10; c++) {
    const rows = digits.filter((d) => d.label === c);
    for (let i = rows.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [rows[i], rows[j]] = [rows[j], rows[i]];
    }
    const nVal = Math.round(rows.length * VALIDATION_FRACTION);
    validation.push(...rows.slice(0, nVal));
    train.push(...rows.slice(nVal));
  }
  const byId = (a: Digit, b: Digit) => a.id - b.id;
  return { train: train.sort(byId), validation: validation.sort(byId) };
}

/** An 8-bit grayscale PNG; 0..16 is stretched to 0..255 (ink is bright, as in the original bitmaps). */
export async function digitPng(d: Digit): Promise<Buffer> {
  const raw = Buffer.from(d.pixels.map((p) => Math.round((p * 255) / 16)));
  return sharp(raw, { raw: { width: 8, height: 8, channels: 1 } })
    .toColourspace('b-w')
    .png({ compressionLevel: 9, adaptiveFiltering: false })
    .toBuffer();
}

/** Writes `<dir>/<split>/<label>/<id>.png` for the given classes, replacing what was there. */
export async function writeImageFolder(dir: string, splits: Record<string, Digit[]>, classes: number[]): Promise<number> {
  fs.rmSync(dir, { recursive: true, force: true });
  let n = 0;
  for (const [split, rows] of Object.entries(splits)) {
    for (const d of rows.filter((r) => classes.includes(r.label))) {
      const file = path.join(dir, split, String(d.label), `${String(d.id).padStart(4, '0')}.png`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, await digitPng(d));
      n++;
    }
  }
  return n;
}
