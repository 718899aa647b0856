import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parameterInfos } from '../../src/core/module-tree.js';
import { TrainingSession } from '../../src/core/session.js';
import { BERT_TINY, bertParamCounts, buildBert } from '../../scripts/bench/bert.js';
import { batchFeeds, makeBatch } from '../../scripts/bench/data.js';

test('bench BERT builder: a 1-layer model trains one step with a finite loss', async () => {
  const model = buildBert(BERT_TINY);
  const params = parameterInfos(model.graph!);
  assert.equal(params.reduce((n, p) => n + p.size, 0), bertParamCounts(BERT_TINY).total);
  assert.ok(params.some((p) => p.name === 'bert.encoder.layer.0.attention.self.query.weight'));
  assert.ok(model.graph!.node.some((n) => n.name === '/bert/encoder/layer.0/attention/self/query/MatMul'));

  const feeds = batchFeeds(makeBatch(2, 8, BERT_TINY.vocabSize, BERT_TINY.numLabels));
  const session = await TrainingSession.create(model, feeds, {
    task: 'classification',
    freeze: ['bert.embeddings.*'],
    optimizer: { name: 'adamw', lr: 1e-3, weightDecay: 0.01 },
    totalSteps: 1,
    threads: 1,
  });
  try {
    assert.equal(session.parameterCount(true), bertParamCounts(BERT_TINY, 0).total
      - params.filter((p) => p.name.startsWith('bert.embeddings.')).reduce((n, p) => n + p.size, 0));
    session.lazyResetGrad();
    const { loss, prediction } = await session.trainStep(feeds);
    assert.ok(Number.isFinite(loss), `loss ${loss}`);
    assert.ok(Math.abs(loss - Math.log(2)) < 0.1, `a fresh 2-class model's loss should be near ln 2, got ${loss}`);
    assert.deepEqual(prediction.dims, [2, 2]);
    session.optimizerStep();
  } finally {
    await session.release();
  }
});
