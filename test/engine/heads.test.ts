import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import ort from 'onnxruntime-node';
import { TrainingSession } from '../../src/core/session.js';
import { FIXTURES, readRows, rowsToFeeds } from '../helpers/fixtures.js';

const mlp = path.join(FIXTURES, 'mlp.ts.onnx');
const rows = readRows(path.join(FIXTURES, 'mlp.train.jsonl'));

test('regression head: MSE between the prediction and float targets', async () => {
  const feeds = rowsToFeeds(rows.slice(0, 8));
  const targets = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i));
  feeds.labels = new ort.Tensor('float32', targets, [8, 3]);
  const session = await TrainingSession.create(mlp, feeds, { task: 'regression', optimizer: { name: 'sgd', lr: 0.05 } });
  const first = await session.evalStep(feeds);
  const pred = first.prediction.data as Float32Array;
  const mse = pred.reduce((s, p, i) => s + (p - targets[i]) ** 2, 0) / pred.length;
  assert.ok(Math.abs(first.loss - mse) < 1e-6, `${first.loss} vs ${mse}`);
  for (let i = 0; i < 20; i++) {
    session.lazyResetGrad();
    await session.trainStep(feeds);
    session.optimizerStep();
  }
  assert.ok((await session.evalStep(feeds)).loss < first.loss * 0.7, 'training reduces the MSE');
  await session.release();
});

test('per-group learning rates scale each group\'s update (discriminative fine-tuning)', async () => {
  const feeds = rowsToFeeds(rows.slice(0, 8));
  const session = await TrainingSession.create(mlp, feeds, {
    task: 'classification', optimizer: { name: 'sgd', lr: 0.1 }, groups: [{ match: ['fc1.*'], lrScale: 0.1 }],
  });
  const before = new Map(session.trainable.map((p) => [p.name, p.data.slice()]));
  session.lazyResetGrad();
  await session.trainStep(feeds);
  const grads = new Map(session.trainable.map((p) => [p.name, p.grad.slice()]));
  session.optimizerStep();
  for (const p of session.trainable) {
    const lr = p.name.startsWith('fc1.') ? 0.01 : 0.1;
    p.data.forEach((v, i) => {
      const expected = Math.fround(before.get(p.name)![i] - lr * grads.get(p.name)![i]);
      assert.ok(Math.abs(v - expected) <= 1e-7 * Math.max(1, Math.abs(expected)), `${p.name}[${i}]`);
    });
  }
  await session.release();
});
