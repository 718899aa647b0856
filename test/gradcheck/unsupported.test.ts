import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import ort from 'onnxruntime-node';
import { buildBackward, UnsupportedOpsError } from '../../src/core/autodiff/backward.js';
import { DT } from '../../src/core/onnx/tensor.js';
import { makeValueInfo } from '../../src/core/onnx/value-info.js';
import { probeShapes } from '../../src/core/training-graph.js';
import { data, frozen, gradcheck, node, rand } from '../helpers/gradcheck.js';

test('unsupported ops on the path to the loss are all listed in one UnsupportedOpsError', async () => {
  // loss = Σ Det(A)·Shrink(B) + Det(A·A): two Det nodes and one Shrink between the parameters and the loss.
  const nodes = [
    node('Det', ['A'], ['detA']),
    node('Shrink', ['B'], ['rowsB']),
    node('Mul', ['detA', 'rowsB'], ['prod']),
    node('MatMul', ['A', 'A'], ['AA']),
    node('Det', ['AA'], ['detAA']),
    node('Add', ['prod', 'detAA'], ['sum']),
    node('ReduceSum', ['sum'], ['loss'], { keepdims: 0 }),
  ];
  const model = create(ModelProtoSchema, {
    irVersion: 9n, opsetImport: [{ domain: '', version: 17n }],
    graph: { name: 'g', node: nodes, input: [makeValueInfo('A', DT.FLOAT, [3, 3]), makeValueInfo('B', DT.FLOAT, [2, 3])], output: [makeValueInfo('loss', DT.FLOAT, [])] },
  });
  const feeds = {
    A: new ort.Tensor('float32', Float32Array.from([2, 0, 1, 1, 3, 0, 0, 1, 4]), [3, 3]),
    B: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]),
  };
  const info = await probeShapes(model.graph!, model, feeds);
  assert.throws(() => buildBackward(model.graph!, { loss: 'loss', wrt: ['A', 'B'], info, opset: 17 }), (err: unknown) => {
    assert.ok(err instanceof UnsupportedOpsError);
    assert.deepEqual(err.nodes.map((n) => n.name).sort(), ['Det_detA', 'Det_detAA', 'Shrink_rowsB']);
    for (const name of ['Det_detA', 'Det_detAA', 'Shrink_rowsB']) assert.match(err.message, new RegExp(name));
    assert.match(err.message, /Det \(2\)/);
    return true;
  });
  // With only B trained, both Det nodes are fed by the frozen A alone: only the Shrink is reported.
  assert.throws(() => buildBackward(model.graph!, { loss: 'loss', wrt: ['B'], info, opset: 17 }), (err: unknown) => {
    assert.ok(err instanceof UnsupportedOpsError);
    assert.deepEqual(err.nodes.map((n) => n.name), ['Shrink_rowsB']);
    return true;
  });
});

// Det has no double kernel in onnxruntime's CPU provider: the graphs with a Det run in float32.
test('an unsupported op fed only by a frozen initializer is not differentiated', () => gradcheck({
  nodes: [node('Det', ['F'], ['detF']), node('Mul', ['x', 'detF'], ['y'])],
  inputs: { F: frozen(rand(3, 3)), x: rand(2, 3) }, outputs: ['y'], dtype: 'float',
}));

test('an unsupported op fed only by a data input is not differentiated', () => gradcheck({
  nodes: [node('Shrink', ['d'], ['rows']), node('Mul', ['x', 'rows'], ['y'])],
  inputs: { d: data(rand(2, 3)), x: rand(2, 3) }, outputs: ['y'],
}));

test('an unsupported op whose output does not reach the loss is not differentiated', () => gradcheck({
  nodes: [node('Det', ['x'], ['unused']), node('Tanh', ['x'], ['y'])],
  inputs: { x: rand(3, 3) }, outputs: ['y'], dtype: 'float',
}));
