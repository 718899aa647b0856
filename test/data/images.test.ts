// Image folders and image-path columns: decode, resize, normalize, NCHW.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { openDataset, type ModelInput } from '../../src/core/data/index.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { collect, FIXTURES, nums, tmpDir, writeFiles } from './helpers.js';

const inOrder = { shuffle: false, seed: 0, epoch: 0 };
const solid = (r: number, g: number, b: number, format: 'png' | 'jpeg' = 'png', size = 16) =>
  sharp({ create: { width: size, height: size, channels: 3, background: { r, g, b } } })[format]().toBuffer();
const rgbInput = (h: number | string, w: number | string): ModelInput[] => [{ name: 'pixel_values', type: 'float32', dims: ['batch', 3, h, w] }];
const close = (actual: number[], expected: number[]) =>
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) < 1e-5, `value ${i}: ${a} vs ${expected[i]}`));

test('image folder with split and label folders: PNG and JPEG, resized, ImageNet-normalized, NCHW', async () => {
  const dir = writeFiles(tmpDir(), {
    'pets/train/cat/1.png': await solid(255, 0, 0),
    'pets/train/dog/2.jpg': await solid(0, 0, 255, 'jpeg'),
    'pets/validation/cat/3.png': await solid(255, 0, 0),
  });
  const ds = await openDataset({ train: 'pets' }, { baseDir: dir, inputs: rgbInput(8, 8), task: 'classification' });
  assert.deepEqual(ds.labels, ['cat', 'dog']);
  assert.equal(ds.splits.validation!.size, 1);
  const [b] = await collect(ds.splits.train.batches(2, inOrder));
  assert.deepEqual(b.inputs.pixel_values.dims, [2, 3, 8, 8]);
  const px = nums(b.inputs.pixel_values);
  // Red image: R plane (1-0.485)/0.229, G plane (0-0.456)/0.224, B plane (0-0.406)/0.225.
  close([px[0], px[64], px[128]], [(1 - 0.485) / 0.229, -0.456 / 0.224, -0.406 / 0.225]);
  close(px.slice(0, 64), new Array(64).fill((1 - 0.485) / 0.229));
  // Blue JPEG (lossy: within a few levels of 255).
  assert.ok(Math.abs(px[192 + 128] - (1 - 0.406) / 0.225) < 0.05);
  assert.deepEqual(nums(b.labels), [0, 1]);
});

test('preprocessor_config.json next to the model sets size, mean and std; channels stay planar', async () => {
  const pixels = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]); // 2×2: red green / blue white
  const dir = writeFiles(tmpDir(), {
    'model/preprocessor_config.json': JSON.stringify({ do_resize: true, size: { height: 2, width: 2 }, do_normalize: false, rescale_factor: 1 / 255 }),
    'imgs/a/x.png': await sharp(pixels, { raw: { width: 2, height: 2, channels: 3 } }).png().toBuffer(),
    'imgs/b/y.png': await solid(255, 255, 255, 'png', 4),
  });
  const ds = await openDataset({ train: 'imgs' }, { baseDir: dir, modelPath: 'model/model.onnx', inputs: rgbInput('height', 'width'), task: 'classification' });
  const [b] = await collect(ds.splits.train.batches(1, inOrder));
  assert.deepEqual(b.inputs.pixel_values.dims, [1, 3, 2, 2]);
  close(nums(b.inputs.pixel_values), [1, 0, 0, 1, /* G */ 0, 1, 0, 1, /* B */ 0, 0, 1, 1]);

  writeFiles(dir, { 'model/preprocessor_config.json': JSON.stringify({ size: { height: 4, width: 4 }, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] }) });
  const norm = await openDataset({ train: 'imgs' }, { baseDir: dir, modelPath: 'model/model.onnx', inputs: rgbInput('height', 'width'), task: 'classification' });
  const [, white] = await collect(norm.splits.train.batches(1, inOrder));
  assert.deepEqual(white.inputs.pixel_values.dims, [1, 3, 4, 4]);
  close(nums(white.inputs.pixel_values), new Array(48).fill(1));
});

test('a one-channel model gets grayscale images', async () => {
  const dir = writeFiles(tmpDir(), { 'imgs/white/a.png': await solid(255, 255, 255), 'imgs/black/b.png': await solid(0, 0, 0) });
  const ds = await openDataset({ train: 'imgs' }, {
    baseDir: dir, inputs: [{ name: 'pixel_values', type: 'float32', dims: ['batch', 1, 6, 6] }], task: 'classification',
  });
  const [b] = await collect(ds.splits.train.batches(2, inOrder));
  assert.deepEqual(b.inputs.pixel_values.dims, [2, 1, 6, 6]);
  const mean = (0.485 + 0.456 + 0.406) / 3;
  const std = (0.229 + 0.224 + 0.225) / 3;
  close(nums(b.inputs.pixel_values).slice(0, 36), new Array(36).fill(-mean / std)); // black (label folders in name order)
  close(nums(b.inputs.pixel_values).slice(36), new Array(36).fill((1 - mean) / std));
});

test('image paths in a CSV column, relative to the CSV', async () => {
  const dir = writeFiles(tmpDir(), {
    'data/labels.csv': 'file,species\npics/a.png,cat\npics/b.png,dog\npics/c.png,cat\n',
    'data/pics/a.png': await solid(255, 0, 0),
    'data/pics/b.png': await solid(0, 255, 0),
    'data/pics/c.png': await solid(0, 0, 255),
  });
  const ds = await openDataset({ train: 'data/labels.csv' }, { baseDir: dir, inputs: rgbInput(4, 4), task: 'classification' });
  assert.deepEqual(ds.columns, [{ name: 'file', role: 'image' }, { name: 'species', role: 'label' }]);
  const [b] = await collect(ds.splits.train.batches(3, inOrder));
  assert.deepEqual(nums(b.labels), [0, 1, 0]);
  close([nums(b.inputs.pixel_values)[48 + 16]], [(1 - 0.456) / 0.224]); // second image, G plane
});

test('undecodable and truncated images are errors naming the file, or skipped', async () => {
  const good = await solid(255, 0, 0, 'jpeg');
  const dir = writeFiles(tmpDir(), {
    'imgs/cat/good.jpg': good,
    'imgs/cat/text.jpg': 'this is not an image',
    'imgs/dog/cut.jpg': good.subarray(0, Math.floor(good.length / 2)),
    'imgs/dog/fine.png': await solid(0, 0, 255),
  });
  const open = (skipBadRows: boolean) => openDataset({ train: 'imgs', skipBadRows }, { baseDir: dir, inputs: rgbInput(4, 4), task: 'classification' });
  await assert.rejects(collect((await open(false)).splits.train.batches(4, inOrder)), /imgs\/cat\/text\.jpg: cannot decode image/);
  const ds = await open(true);
  const batches = await collect(ds.splits.train.batches(4, inOrder));
  assert.equal(batches.length, 1);
  assert.equal(batches[0].size, 2);
  assert.deepEqual(nums(batches[0].labels), [0, 1]);
  assert.equal(ds.skipped, 2);
  assert.deepEqual(ds.skippedRows.map((r) => r.file.replace(dir, '')), ['/imgs/cat/text.jpg', '/imgs/dog/cut.jpg']);
  // A second epoch does not count them again.
  await collect(ds.splits.train.batches(4, { ...inOrder, epoch: 1 }));
  assert.equal(ds.skipped, 2);
});

// A 32×32 RGB mosaic of real digit scans and what a Hugging Face image processor makes of it (PIL bilinear resize to
// uint8, ×1/255, (x − mean) / std): test/fixtures/generate/images.py. Pillow's fixed-point weights may round a value
// one uint8 level the other way, no more (measured: mean 0.01–0.04 level; the reference keeps 6 decimals). libvips' own resize was 0.9–27 levels
// off on average and up to 115 (enlarging).
test('resizing real images matches Hugging Face preprocessing (PIL bilinear, rescale, normalize)', async () => {
  const ref = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'images/resize-reference.json'), 'utf8'));
  const png = fs.readFileSync(path.join(FIXTURES, 'images', ref.image));
  for (const c of ref.cases as { height: number; width: number; pixels: number[] }[]) {
    const dir = writeFiles(tmpDir(), {
      'model/preprocessor_config.json': JSON.stringify({ do_resize: true, size: { height: c.height, width: c.width }, ...ref.processor }),
      'imgs/digits/mosaic.png': png,
    });
    const ds = await openDataset({ train: 'imgs' }, { baseDir: dir, modelPath: 'model/model.onnx', inputs: rgbInput('height', 'width'), task: 'classification' });
    const [b] = await collect(ds.splits.train.batches(1, inOrder));
    assert.deepEqual(b.inputs.pixel_values.dims, [1, 3, c.height, c.width]);
    const px = nums(b.inputs.pixel_values);
    const plane = c.height * c.width;
    // differences in uint8 levels: value · std · 255, per channel
    const levels = px.map((v, i) => Math.abs(v - c.pixels[i]) * ref.processor.image_std[Math.floor(i / plane)] * 255);
    const meanLevel = levels.reduce((a, v) => a + v, 0) / levels.length;
    const maxLevel = Math.max(...levels);
    assert.ok(meanLevel < 0.1 && maxLevel <= 1.001, `${c.height}×${c.width}: mean ${meanLevel.toFixed(3)}, max ${maxLevel.toFixed(2)} uint8 levels from PIL`);
  }
});
