import assert from 'node:assert/strict';
import { test } from 'node:test';
import ort from 'onnxruntime-node';
import { UserError } from '../../src/core/onnx/errors.js';
import { DT, GraphBuilder, Rng } from '../../src/core/onnx/builder.js';
import { FEED_BYTES, probeShapes } from '../../src/core/shape-probe.js';

/** x [2,3] → MatMul with a large weight, a data-dependent NonZero, a scalar, a bool and a double value. */
function model() {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DT.FLOAT, ['batch', 3]);
  const w = b.initializer('w', [3, 400], new Rng(1).normals(1200, 1)); // 4800 bytes: fed, not serialized
  const small = b.initializer('b', [400], new Float32Array(400).fill(0.5));
  const y = b.op('Add', [b.op('MatMul', [x, w]), small]);
  const positive = b.op('Greater', [x, b.f32(0)]);
  const nz = b.op('NonZero', [positive]);
  const total = b.op('ReduceSum', [y], { keepdims: 0 });
  const wide = b.op('Cast', [x], { to: DT.DOUBLE });
  b.output(total, 'total', DT.FLOAT, []);
  b.output(nz, 'nz', DT.INT64, [2, '?']);
  b.output(wide, 'wide', DT.DOUBLE, ['batch', 3]);
  return { m: b.build(), y, positive };
}

test('the probe gives every value its type and shape, data-dependent ones included', async () => {
  const { m, y, positive } = model();
  const x = new ort.Tensor('float32', Float32Array.from([1, -1, 2, 0, 3, 4]), [2, 3]); // 4 positive entries
  const info = await probeShapes(m.graph!, m, { x });
  assert.deepEqual(info.get(y), { dtype: DT.FLOAT, shape: [2, 400] });
  assert.deepEqual(info.get(positive), { dtype: DT.BOOL, shape: [2, 3] });
  assert.deepEqual(info.get('nz'), { dtype: DT.INT64, shape: [2, 4] });
  assert.deepEqual(info.get('total'), { dtype: DT.FLOAT, shape: [] });
  assert.deepEqual(info.get('wide'), { dtype: DT.DOUBLE, shape: [2, 3] });
  assert.deepEqual(info.get('w'), { dtype: DT.FLOAT, shape: [3, 400] });
  // Every node output is probed.
  for (const n of m.graph!.node) for (const o of n.output) assert.ok(info.has(o), `no info for ${o}`);
});

test('large initializers reach ONNX Runtime as fed tensors, not inside the serialized model', async () => {
  const { m } = model();
  const w = m.graph!.initializer.find((t) => t.name === 'w')!.rawData;
  assert.ok(w.length >= FEED_BYTES);
  const models: Buffer[] = [];
  const create = ort.InferenceSession.create;
  ort.InferenceSession.create = ((bytes: Uint8Array, options: ort.InferenceSession.SessionOptions) => {
    models.push(Buffer.from(bytes));
    return create.call(ort.InferenceSession, bytes, options);
  }) as typeof create;
  try {
    await probeShapes(m.graph!, m, { x: new ort.Tensor('float32', new Float32Array(6), [2, 3]) });
  } finally {
    ort.InferenceSession.create = create;
  }
  assert.ok(models.length > 0);
  for (const bytes of models) assert.equal(bytes.indexOf(Buffer.from(w.subarray(0, 64))), -1, 'the weight was serialized into a probe session');
});

test('a model input the batch does not give is named', async () => {
  const { m } = model();
  await assert.rejects(probeShapes(m.graph!, m, {}), (e: unknown) => e instanceof UserError && /no value for model input 'x'/.test(e.message));
});
