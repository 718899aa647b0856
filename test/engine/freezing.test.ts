// Freezing as the panel and the palette flow edit it: globs after toggles and presets, blocks and head found by structure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParamInfo } from '../../src/core/module-tree.js';
import { findBlocks, findHead, frozenSet, globsFor, presetFrozen, toggled, trainableCount } from '../../src/core/freezing.js';
import { modelParams } from '../../src/extension/panel/jobs-run.js';
import { DIGITS_MODEL } from '../panel/fixtures.js';

const p = (path: string, size = 10): ParamInfo => ({ name: path, path, module: path.slice(0, path.lastIndexOf('.')), dims: [size], size });
const bert: ParamInfo[] = [
  p('bert.embeddings.word.weight', 1000),
  ...[0, 1, 2, 10].flatMap((l) => [p(`bert.encoder.layer.${l}.attn.weight`, 100), p(`bert.encoder.layer.${l}.attn.bias`)]),
  p('bert.pooler.dense.weight', 50),
  p('classifier.weight', 20),
  p('classifier.bias', 2),
];
const names = (s: Set<string>) => [...s].sort();

test('blocks are the numbered container with the most parameters, in numeric order; the head is found by name', () => {
  assert.deepEqual(findBlocks(bert), ['bert.encoder.layer.0', 'bert.encoder.layer.1', 'bert.encoder.layer.2', 'bert.encoder.layer.10']);
  assert.deepEqual(findHead(bert), ['classifier']);
  const digits = modelParams(DIGITS_MODEL);
  assert.deepEqual(findBlocks(digits), ['features.0', 'features.2'], "the head's own numbered layers are not blocks");
  assert.deepEqual(findHead(digits), ['classifier']);
  assert.deepEqual(findHead([p('a.w'), p('b.w')]), ['b'], 'unnamed: the last top-level module');
});

test('presets: head only, head + last N blocks, all, none', () => {
  const trainable = (s: Set<string>) => bert.filter((x) => !s.has(x.name)).map((x) => x.name);
  assert.deepEqual(trainable(presetFrozen(bert, 'head')), ['classifier.weight', 'classifier.bias']);
  assert.deepEqual(trainable(presetFrozen(bert, 'lastBlocks', 2)), ['bert.encoder.layer.2.attn.weight', 'bert.encoder.layer.2.attn.bias', 'bert.encoder.layer.10.attn.weight', 'bert.encoder.layer.10.attn.bias', 'classifier.weight', 'classifier.bias']);
  assert.deepEqual(trainable(presetFrozen(bert, 'lastBlocks', 0)), ['classifier.weight', 'classifier.bias']);
  assert.equal(presetFrozen(bert, 'all').size, 0);
  assert.equal(presetFrozen(bert, 'none').size, bert.length);
});

test('globs after a change freeze exactly the frozen set, keep the user globs that still hold, and are few', () => {
  const user = ['bert.embeddings.*', 'bert.encoder.layer.0.*'];
  const frozen = frozenSet(bert, user);
  assert.equal(frozen.size, 3);
  // Freeze layer 1 too: the user's globs stay as written, one module glob is added.
  const more = toggled(bert, frozen, 'module', 'bert.encoder.layer.1', true);
  const g1 = globsFor(bert, user, more);
  assert.deepEqual(g1, [...user, 'bert.encoder.layer.1.*']);
  assert.deepEqual(names(frozenSet(bert, g1)), names(more));
  // Unfreeze one parameter of layer 0: its glob no longer holds and is replaced by what remains frozen.
  const less = toggled(bert, more, 'param', 'bert.encoder.layer.0.attn.bias', false);
  const g2 = globsFor(bert, g1, less);
  assert.deepEqual(g2, ['bert.embeddings.*', 'bert.encoder.layer.1.*', 'bert.encoder.layer.0.attn.weight']);
  assert.deepEqual(names(frozenSet(bert, g2)), names(less));
  // Everything frozen: one glob, the subsumed ones dropped.
  assert.deepEqual(globsFor(bert, g2, new Set(bert.map((x) => x.name))), ['*']);
  assert.deepEqual(globsFor(bert, g2, new Set()), []);
  assert.equal(trainableCount(bert, less), bert.reduce((n, x) => n + x.size, 0) - 1000 - 10 - 100 - 100);
  assert.throws(() => toggled(bert, less, 'module', 'nope', true), /no module named 'nope' in the model/);
});
