import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';

test('onnxruntime-node loads its CPU backend', () => {
  assert.equal(typeof ort.InferenceSession.create, 'function');
});
