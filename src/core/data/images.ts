// Images: decode with sharp (prebuilt libvips from npm, no downloads at install), resize as Pillow does, normalize to NCHW.
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { resizePixels, type Kernel } from './resample.js';
import type { ModelInput } from './types.js';

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];
const DEFAULT_SIZE = 224;
const KERNELS: Record<number, Kernel> = { 0: 'nearest', 2: 'linear', 3: 'cubic', 1: 'lanczos3' };

/** How to turn any image into the model's pixel tensor [C,H,W]. */
export interface ImageSpec {
  channels: 1 | 3;
  height: number;
  width: number;
  /** When set, resize the shorter side to this first, then center-crop to height × width. */
  shortestEdge?: number;
  rescale: number;
  mean: number[];
  std: number[];
  kernel: Kernel;
}

/** An image cell: a file path, encoded bytes, or Hugging Face's `{bytes, path}` (datasets' Image feature). */
export type ImageSource = string | Uint8Array;

/**
 * The preprocessing for a [B,C,H,W] model input: from preprocessor_config.json (Hugging Face image processors)
 * next to the model when present, else the input's shape with ImageNet mean/std.
 */
export function imageSpecFor(input: ModelInput, modelDir?: string): ImageSpec {
  const staticDim = (d: number | string | undefined) => (typeof d === 'number' && d > 0 ? d : undefined);
  const channels = staticDim(input.dims[1]) ?? 3;
  if (channels !== 1 && channels !== 3) throw new Error(`image input '${input.name}' has ${channels} channels; only 1 or 3 are supported`);
  const file = modelDir && path.join(modelDir, 'preprocessor_config.json');
  const cfg = file && fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  const hw = (s: unknown): [number, number] | undefined =>
    typeof s === 'number' ? [s, s] : s && typeof s === 'object' && 'height' in s ? [(s as any).height, (s as any).width] : undefined;
  const size = cfg.size;
  const shortest = typeof size === 'object' && size?.shortest_edge ? size.shortest_edge : undefined;
  // Final size: the model's own, if static; else what the processor produces.
  const [ph, pw] = (cfg.do_center_crop !== false && hw(cfg.crop_size)) || hw(size) || (shortest ? [shortest, shortest] : [DEFAULT_SIZE, DEFAULT_SIZE]);
  const height = staticDim(input.dims[2]) ?? ph;
  const width = staticDim(input.dims[3]) ?? pw;
  const fit = (v: number[] | undefined, dflt: number[]) => {
    const x = v ?? dflt;
    return channels === 1 && x.length === 3 ? [(x[0] + x[1] + x[2]) / 3] : x;
  };
  const normalize = cfg.do_normalize !== false;
  return {
    channels,
    height,
    width,
    // ConvNeXt-style processors resize to shortest_edge / crop_pct, then crop.
    shortestEdge: shortest && (cfg.crop_pct ? Math.round(shortest / cfg.crop_pct) : cfg.do_center_crop ? shortest : undefined),
    rescale: cfg.do_rescale === false ? 1 : cfg.rescale_factor ?? 1 / 255,
    mean: normalize ? fit(cfg.image_mean, IMAGENET_MEAN) : new Array(channels).fill(0),
    std: normalize ? fit(cfg.image_std, IMAGENET_STD) : new Array(channels).fill(1),
    kernel: KERNELS[cfg.resample as number] ?? 'linear',
  };
}

/** The image in a cell, resolved against the data file's folder. */
export function imageSource(cell: unknown, baseDir: string): ImageSource {
  if (typeof cell === 'string') return path.resolve(baseDir, cell);
  if (cell instanceof Uint8Array) return cell;
  const c = cell as { bytes?: Uint8Array; path?: string };
  if (c?.bytes instanceof Uint8Array) return c.bytes;
  if (typeof c?.path === 'string') return path.resolve(baseDir, c.path);
  throw new Error('not an image (expected a file path or image bytes)');
}

const open = (src: ImageSource) => sharp(src, { failOn: 'warning' }).rotate(); // rotate(): apply EXIF orientation

/** Decodes and preprocesses one image into a float [C,H,W] array. */
export async function loadImage(src: ImageSource, spec: ImageSpec): Promise<Float32Array> {
  const img = spec.channels === 1 ? open(src).grayscale() : open(src).removeAlpha().toColourspace('srgb');
  const { data: decoded, info } = await img.raw().toBuffer({ resolveWithObject: true });
  const c = spec.channels;
  if (info.channels !== c) throw new Error(`decoded ${info.channels} channels, expected ${c}`);
  // Resize as Hugging Face processors do (Pillow's resample, see resample.ts); shortest_edge then center-crops.
  let [w, h] = [spec.width, spec.height];
  if (spec.shortestEdge) {
    const scale = spec.shortestEdge / Math.min(info.width, info.height);
    w = Math.max(spec.width, Math.round(info.width * scale));
    h = Math.max(spec.height, Math.round(info.height * scale));
  }
  const data = resizePixels(decoded, info.width, info.height, c, w, h, spec.kernel);
  const left = Math.floor((w - spec.width) / 2), top = Math.floor((h - spec.height) / 2);
  // Interleaved HWC bytes → planar CHW floats (NCHW once batched).
  const plane = spec.height * spec.width;
  const out = new Float32Array(c * plane);
  for (let y = 0; y < spec.height; y++) {
    for (let x = 0; x < spec.width; x++) {
      const at = ((y + top) * w + x + left) * c, p = y * spec.width + x;
      for (let k = 0; k < c; k++) out[k * plane + p] = (data[at + k] * spec.rescale - spec.mean[k]) / spec.std[k];
    }
  }
  return out;
}

/** A small JPEG data URI of the image, for previews. */
export async function thumbnail(src: ImageSource, size = 64): Promise<string> {
  const buf = await open(src).resize(size, size, { fit: 'inside' }).flatten({ background: '#ffffff' }).jpeg({ quality: 70 }).toBuffer();
  return `data:image/jpeg;base64,${buf.toString('base64')}`;
}
