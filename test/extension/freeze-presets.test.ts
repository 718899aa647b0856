import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { inspectModel } from '../../src/cli/inspect.js';
import { modelLayout, presetFreeze, trainableCount } from '../../src/core/freeze-presets.js';
import { moduleTree, treeParams, type ParamInfo } from '../../src/core/module-tree.js';

const EXAMPLES = path.resolve(import.meta.dirname, '../../../examples');

function params(...paths: [string, number][]): ParamInfo[] {
  return paths.map(([p, size]) => ({ name: p, path: p, module: p.slice(0, p.lastIndexOf('.')), dims: [size], size }));
}

test('BERT layout: embeddings before, encoder layers as blocks, pooler after, classifier head', () => {
  const ps = params(['bert.embeddings.word.weight', 10], ...[0, 1, 2].map((i) => [`bert.encoder.layer.${i}.dense.weight`, 5] as [string, number]),
    ['bert.pooler.dense.weight', 3], ['classifier.weight', 2], ['classifier.bias', 1]);
  const tree = moduleTree(ps);
  assert.deepEqual(modelLayout(tree), {
    head: ['classifier'], blocks: ['bert.encoder.layer.0', 'bert.encoder.layer.1', 'bert.encoder.layer.2'],
    before: ['bert.embeddings'], after: ['bert.pooler'],
  });
  const head = presetFreeze(tree, { kind: 'head' });
  assert.equal(trainableCount(ps, head), 3);
  const last2 = presetFreeze(tree, { kind: 'lastBlocks', n: 2 });
  assert.deepEqual(last2, ['bert.embeddings.*', 'bert.encoder.layer.0.*']);
  assert.equal(trainableCount(ps, last2), 5 + 5 + 3 + 3);
  assert.equal(trainableCount(ps, presetFreeze(tree, { kind: 'none' })), 31);
  assert.equal(trainableCount(ps, presetFreeze(tree, { kind: 'all' })), 0);
  assert.equal(trainableCount(ps, presetFreeze(tree, { kind: 'lastBlocks', n: 10 })), 31 - 10);
});

test('a wrapper module with loose parameters and no blocks: head only freezes the rest', () => {
  const ps = params(['model.scale', 1], ['model.stem.weight', 4], ['model.fc.weight', 6]);
  const tree = moduleTree(ps);
  assert.deepEqual(presetFreeze(tree, { kind: 'head' }), ['model.stem.*', 'model.scale']);
  assert.equal(trainableCount(ps, presetFreeze(tree, { kind: 'head' })), 6);
});

test('the shipped digits CNN: head only trains the classifier, as the shipped experiment does', () => {
  const info = inspectModel(path.join(EXAMPLES, 'digits/digits-cnn.onnx'));
  const freeze = presetFreeze(info.tree, { kind: 'head' });
  assert.deepEqual(freeze, ['features.0.*', 'features.2.*']);
  assert.equal(trainableCount(treeParams(info.tree), freeze), 33_482);
  assert.deepEqual(modelLayout(info.tree).blocks, ['features.0', 'features.2']);
});
