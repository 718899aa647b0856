import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inspectModel } from '../../src/cli/inspect.js';
import { TrainingSession } from '../../src/core/session.js';
import type { OptimizerSpec } from '../../src/core/optim/types.js';
import { assertClose, FIXTURES, readRows, rowsToFeeds } from '../helpers/fixtures.js';

const DIR = path.join(FIXTURES, 'producers');
interface Fixture { model: string; opset: number; batchSize: number; steps: number; loss: 'ce' | 'bce'; optimizer: OptimizerSpec; losses: number[] }
const fixtures: Fixture[] = JSON.parse(fs.readFileSync(path.join(DIR, 'manifest.json'), 'utf8')).models;

// PyTorch 1.13 exports at opsets 9–12 ending in probabilities, and LSTM/GRU sequence classifiers at opset 17 whose
// batches differ in length (made by test/fixtures/generate/producers/make_producers.py).
for (const f of fixtures) {
  const form = f.opset < 13 ? `upgraded from opset ${f.opset}, loss on the logits` : `opset ${f.opset}`;
  test(`${f.model}: ${form}, per-step loss matches PyTorch within 2e-6`, async () => {
    const file = path.join(DIR, `${f.model}.onnx`);
    const r = inspectModel(file);
    if (f.opset < 13) assert.match(r.normalized.join('\n'), new RegExp(`opset ${f.opset} upgraded to 13`));
    assert.deepEqual(r.unsupportedOps, []);
    const rows = readRows(path.join(DIR, `${f.model}.train.jsonl`));
    const B = f.batchSize;
    const session = await TrainingSession.create(file, rowsToFeeds(rows.slice(0, B)), { task: 'classification', optimizer: f.optimizer, threads: 1 });
    try {
      assert.equal(session.loss.kind, f.loss === 'bce' ? 'binary-cross-entropy' : 'cross-entropy');
      for (let s = 0; s < f.steps; s++) {
        session.lazyResetGrad();
        const { loss } = await session.trainStep(rowsToFeeds(rows.slice(s * B, (s + 1) * B)));
        assertClose(loss, f.losses[s], `step ${s} loss`, 2e-6);
        session.optimizerStep();
      }
    } finally {
      await session.release();
    }
  });
}
