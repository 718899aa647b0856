import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { GraphBuilder } from '../../src/core/onnx/builder.js';
import { DT } from '../../src/core/onnx/tensor.js';
import { TrainingSession } from '../../src/core/session.js';
import { weights } from './graphs.js';

const x = new ort.Tensor('float32', Float32Array.from({ length: 16 }, (_, i) => Math.cos(i)), [4, 4]);
const classLabels = new ort.Tensor('int64', BigInt64Array.from([0n, 1n, 2n, 1n]), [4]);
const sgd = { name: 'sgd' as const, lr: 0.1 };

/** x[batch,4]·W[4,3] = h, then `tail` turns h (and x) into the output `out` [batch, dims…]. */
function model(tail: (b: GraphBuilder, h: string, x: string) => string, dims: (number | string)[] = ['batch', 3]) {
  const b = new GraphBuilder({ opset: 17 });
  const input = b.input('x', DT.FLOAT, ['batch', 4]);
  const h = b.scope('fc', () => b.op('MatMul', [input, b.initializer('fc.weight', [4, 3], weights(12))]));
  b.output(tail(b, h, input), 'out', DT.FLOAT, dims);
  return b.build();
}

const stopsAt = (what: string) => new RegExp(
  `the loss does not depend on any trainable parameter through differentiable ops: gradient stops at ${what.replace(/[()]/g, '\\$&')}`,
);

test('never a silent no-op: a loss reached only through Round stops before step 1, naming the Round node', async () => {
  const m = model((b, h) => b.op('Round', [h]));
  await assert.rejects(TrainingSession.create(m, { x, labels: classLabels }, { task: 'classification', optimizer: sgd }), stopsAt(`Round node '/Round'`));
  // The same model without the Round trains: the check is about the Round.
  const s = await TrainingSession.create(model((b, h) => b.op('Identity', [h])), { x, labels: classLabels }, { task: 'classification', optimizer: sgd });
  assert.deepEqual(s.trainable.map((p) => p.name), ['fc.weight']);
  await s.release();
});

test('ArgMax, a Cast to an integer type, Shape and a comparison each stop the gradient, named with their output type', async () => {
  const slice3 = (b: GraphBuilder, v: string) => b.op('Slice', [v, b.i64([0]), b.i64([3]), b.i64([1])]);
  const cases: [string, ReturnType<typeof model>, string][] = [
    ['ArgMax', model((b, h) => b.op('Cast', [b.op('ArgMax', [h], { axis: 1, keepdims: 1 })], { to: DT.FLOAT }), ['batch', 1]), `ArgMax node '/ArgMax' (int64 output)`],
    ['Cast', model((b, h) => b.op('Cast', [b.op('Cast', [h], { to: DT.INT64 })], { to: DT.FLOAT })), `Cast node '/Cast' (int64 output)`],
    ['Shape', model((b, h, xin) => b.op('Reshape', [slice3(b, xin), b.op('Shape', [h])])), `Shape node '/Shape' (int64 output)`],
    ['Greater', model((b, h, xin) => b.op('Where', [b.op('Greater', [h, b.f32(0)]), slice3(b, xin), b.f32(0)])), `Greater node '/Greater' (bool output)`],
  ];
  for (const [op, m, named] of cases) {
    const regression = op === 'ArgMax';
    const labels = regression ? new ort.Tensor('float32', Float32Array.of(1, 0, 2, 1), [4, 1]) : classLabels;
    await assert.rejects(
      TrainingSession.create(m, { x, labels }, { task: regression ? 'regression' : 'classification', optimizer: sgd }),
      stopsAt(named), op,
    );
  }
});

test('a parameter read only through a non-differentiable input slot: the gradient stops at that node', async () => {
  // The weight only reaches Resize's scales (always 1 here); the values Resize passes come from x.
  const m = model((b, h, xin) => {
    const one = b.op('Add', [b.op('Mul', [b.op('ReduceSum', [h], { keepdims: 0 }), b.f32(0)]), b.constant(Float32Array.of(1, 1))]);
    return b.op('Resize', [b.op('Slice', [xin, b.i64([0]), b.i64([3]), b.i64([1])]), '', one], { mode: 'nearest' });
  });
  await assert.rejects(TrainingSession.create(m, { x, labels: classLabels }, { task: 'classification', optimizer: sgd }), stopsAt(`Resize node '/Resize' (no gradient flows back through it)`));
});

test('a parameter whose only path to the loss is through Round stays frozen, and the session says where its gradient stops', async () => {
  const m = model((b, h, xin) => {
    const aux = b.scope('aux', () => b.op('MatMul', [xin, b.initializer('aux.weight', [4, 3], weights(12, 2))]));
    return b.op('Add', [h, b.op('Round', [aux])]);
  });
  const s = await TrainingSession.create(m, { x, labels: classLabels }, { task: 'classification', optimizer: sgd });
  assert.deepEqual(s.trainable.map((p) => p.name), ['fc.weight']);
  assert.deepEqual(s.noGradient, ['aux.weight']);
  assert.match(s.noGradientReason ?? '', /^gradient stops at Round node '\/Round'$/);
  await s.release();
});
