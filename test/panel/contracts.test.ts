// Every message crossing the webview boundary is validated: good ones pass typed, bad ones fail naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContractError, parseToHost, parseToWebview } from '../../src/contracts/panel.js';

test('messages from the panel: known types pass with their fields, extra fields are dropped', () => {
  assert.deepEqual(parseToHost({ type: 'panel/ready' }), { type: 'panel/ready' });
  assert.deepEqual(parseToHost({ type: 'model/toggle', kind: 'module', path: 'features', frozen: true, evil: 1 }), { type: 'model/toggle', kind: 'module', path: 'features', frozen: true });
  assert.deepEqual(parseToHost({ type: 'preview/setRole', column: 'verdict', role: 'label' }), { type: 'preview/setRole', column: 'verdict', role: 'label' });
  assert.deepEqual(parseToHost({ type: 'model/preset', preset: 'lastBlocks', blocks: 2 }), { type: 'model/preset', preset: 'lastBlocks', blocks: 2 });
});

test('bad messages fail with one line naming the message and field', () => {
  assert.throws(() => parseToHost({ type: 'model/toggle', kind: 'module', path: 3, frozen: true }), (e: Error) => e instanceof ContractError && e.message === 'model/toggle.path: expected a string, got number');
  assert.throws(() => parseToHost({ type: 'preview/setRole', column: 'x', role: 'target' }), /preview\/setRole\.role: expected one of text, text_pair, image, label, ignore/);
  assert.throws(() => parseToHost({ type: 'model/setGroups', groups: [{ match: ['a'] }, { match: 'b' }] }), /model\/setGroups\.groups\[1\]\.match: expected an array, got string/);
  assert.throws(() => parseToHost({ type: 'nope/x' }), /unknown message type "nope\/x"/);
  assert.throws(() => parseToHost({ type: 'panel/explode' }), /unknown message type "panel\/explode"/);
  assert.throws(() => parseToHost('ready'), /unknown message type undefined/);
  assert.throws(() => parseToHost(null), ContractError);
});

test('messages from the host: curve rows keep NaN losses, bad rows are refused', () => {
  const m = parseToWebview({ type: 'curves/append', runDir: '/r', rows: [{ step: 1, loss: NaN }, { step: 2, split: 'validation', loss: 0.5, accuracy: 0.9 }] });
  assert.equal(m.type, 'curves/append');
  assert.ok(m.type === 'curves/append' && Number.isNaN(m.rows[0].loss));
  assert.throws(() => parseToWebview({ type: 'curves/append', runDir: '/r', rows: [{ step: '1' }] }), /curves\/append\.rows\[0\]\.step: expected a number, got string/);
  assert.deepEqual(parseToWebview({ type: 'panel/view', view: { section: 'curves', runDirs: ['/a'] } }), { type: 'panel/view', view: { section: 'curves', runDirs: ['/a'] } });
  assert.throws(() => parseToWebview({ type: 'panel/view', view: { section: 'diff', a: '/a' } }), /panel\/view\.view\.b: expected a string, got undefined/);
  assert.throws(() => parseToWebview({ type: 'diff/result', a: {}, b: {} }), /diff\/result\.a\.dir/);
});
