import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkpointDir, saveCheckpoint } from '../../src/core/checkpoints/checkpoint.js';

const ckpt = { params: { w: { dims: [2], data: Float32Array.of(1, 2) } }, optimizer: {}, state: { step: 1 } };

test('extra checkpoint files land in the checkpoint directory with it, replaced with it', async () => {
  const dir = checkpointDir(fs.mkdtempSync(path.join(os.tmpdir(), 'ft-ckfiles-')), 1);
  await saveCheckpoint(dir, { ...ckpt, files: { 'eval-predictions.json': '[1]\n' } });
  assert.equal(fs.readFileSync(path.join(dir, 'eval-predictions.json'), 'utf8'), '[1]\n');
  await saveCheckpoint(dir, ckpt);
  assert.equal(fs.existsSync(path.join(dir, 'eval-predictions.json')), false);
  assert.deepEqual(fs.readdirSync(path.dirname(dir)), [path.basename(dir)]); // no temporary directory left
});

test('extra checkpoint files must be plain names that do not shadow its own', async () => {
  const dir = checkpointDir(fs.mkdtempSync(path.join(os.tmpdir(), 'ft-ckfiles-')), 1);
  for (const name of ['../x.json', '..', 'a/b', 'state.json']) {
    await assert.rejects(saveCheckpoint(dir, { ...ckpt, files: { [name]: 'x' } }), new RegExp(`checkpoint file name "${name.replace(/[./]/g, '\\$&')}" is not allowed`));
  }
  assert.equal(fs.existsSync(dir), false);
});
