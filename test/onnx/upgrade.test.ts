import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clone } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import ort from 'onnxruntime-node';
import { f, fs, type Attrs } from '../../src/core/onnx/attributes.js';
import { GraphBuilder } from '../../src/core/onnx/builder.js';
import { serializeModel } from '../../src/core/onnx/model.js';
import { DT } from '../../src/core/onnx/tensor.js';
import { upgradeModel } from '../../src/core/onnx/upgrade/index.js';

interface Case {
  op: string; opset: number; shape: number[]; attrs?: Attrs; outputs?: number;
  /** Extra constant inputs after x (as old opsets took them). */
  extra?: (b: GraphBuilder) => string[];
  /** Declare x with its rank (so rank-dependent rewrites can use it) — default true. */
  declared?: boolean;
}

async function run(model: ReturnType<GraphBuilder['build']>, x: ort.Tensor): Promise<ort.Tensor[]> {
  const s = await ort.InferenceSession.create(serializeModel(model));
  try {
    const r = await s.run({ x });
    return s.outputNames.map((n) => r[n]);
  } finally {
    await s.release();
  }
}

/** The op in its old opset, run by ONNX Runtime as it is, and after the upgrade: same outputs, new opset. */
async function check(c: Case): Promise<void> {
  const b = new GraphBuilder({ opset: c.opset });
  const x = b.input('x', DT.FLOAT, c.declared === false ? c.shape.map((_, i) => `d${i}`) : c.shape);
  const outs = b.node(c.op, [x, ...(c.extra?.(b) ?? [])], c.attrs ?? {}, { outputs: c.outputs ?? 1 });
  outs.forEach((o, i) => b.output(o, `y${i}`, c.op === 'TopK' && i === 1 ? DT.INT64 : DT.FLOAT, []));
  const original = b.build();
  for (const o of original.graph!.output) if (o.type?.value.case === 'tensorType') o.type.value.value.shape = undefined; // shapes not declared
  const upgraded = clone(ModelProtoSchema, original);
  upgradeModel(upgraded);
  assert.equal(Number(upgraded.opsetImport[0].version), 13);
  const n = c.shape.reduce((a, v) => a * v, 1);
  const input = new ort.Tensor('float32', Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * 3), c.shape);
  const [want, got] = [await run(original, input), await run(upgraded, input)];
  want.forEach((w, i) => {
    assert.deepEqual(got[i].dims, w.dims, `${c.op} output ${i} dims`);
    const a = got[i].data as Float32Array, e = w.data as Float32Array;
    for (let k = 0; k < e.length; k++) assert.ok(Math.abs(Number(a[k]) - Number(e[k])) <= 1e-6 * Math.max(1, Math.abs(Number(e[k]))), `${c.op}@${c.opset} output ${i}[${k}]: ${a[k]} vs ${e[k]}`);
  });
}

const cases: Case[] = [
  { op: 'Softmax', opset: 11, shape: [2, 3, 4], attrs: { axis: 1 } },
  { op: 'Softmax', opset: 11, shape: [2, 3, 4], attrs: { axis: 1 }, declared: false },
  { op: 'Softmax', opset: 9, shape: [3, 5] },
  { op: 'LogSoftmax', opset: 12, shape: [2, 3, 4], attrs: { axis: 2 } },
  { op: 'Hardmax', opset: 11, shape: [2, 3, 4], attrs: { axis: 1 } },
  { op: 'Unsqueeze', opset: 11, shape: [2, 3], attrs: { axes: [0, 2] } },
  { op: 'Squeeze', opset: 11, shape: [2, 1, 3], attrs: { axes: [1] } },
  { op: 'ReduceSum', opset: 11, shape: [2, 3, 4], attrs: { axes: [1], keepdims: 0 } },
  { op: 'Split', opset: 11, shape: [2, 3], attrs: { axis: 1, split: [1, 2] }, outputs: 2 },
  { op: 'Slice', opset: 9, shape: [4, 5], attrs: { starts: [1, 0], ends: [3, 4], axes: [0, 1] } },
  // x[:, -1:] as PyTorch exports it at opset 9: ends INT64_MAX.
  { op: 'Slice', opset: 9, shape: [4, 5], attrs: { starts: [-1], ends: [2 ** 63], axes: [1] } },
  { op: 'Clip', opset: 10, shape: [3, 4], attrs: { min: f(-1), max: f(0.5) } },
  { op: 'Pad', opset: 10, shape: [2, 3], attrs: { pads: [0, 1, 1, 2], value: f(0.25) } },
  { op: 'Pad', opset: 10, shape: [1, 2, 3], attrs: { pads: [0, 0, 1, 0, 0, 2], mode: 'reflect' } },
  { op: 'Dropout', opset: 10, shape: [2, 3], attrs: { ratio: f(0.3) } },
  { op: 'TopK', opset: 9, shape: [2, 6], attrs: { k: 3 }, outputs: 2 },
  { op: 'BatchNormalization', opset: 7, shape: [2, 3, 2, 2], attrs: { spatial: 1, epsilon: f(1e-3) },
    extra: (b) => [[1.5, 0.5, 2], [0.1, -0.2, 0.3], [0.5, 0, -1], [1, 2, 0.5]].map((v) => b.initializer(`bn${v[0]}`, [3], Float32Array.from(v))) },
  { op: 'Upsample', opset: 7, shape: [1, 2, 2, 3], attrs: { scales: fs([1, 1, 2, 3]), mode: 'nearest' } },
  { op: 'Upsample', opset: 9, shape: [1, 2, 2, 3], attrs: { mode: 'linear' }, extra: (b) => [b.initializer('scales', [4], Float32Array.of(1, 1, 2, 2))] },
  { op: 'Resize', opset: 10, shape: [1, 1, 3, 3], attrs: { mode: 'nearest' }, extra: (b) => [b.initializer('scales', [4], Float32Array.of(1, 1, 2, 1.5))] },
];

for (const c of cases) {
  test(`opset ${c.opset} ${c.op} ${JSON.stringify(c.attrs ?? {})}${c.declared === false ? ' (rank unknown)' : ''}: same outputs in ONNX Runtime after the upgrade to 13`, () => check(c));
}

test('an upgraded model keeps its weights and reports what changed', () => {
  const b = new GraphBuilder({ opset: 9 });
  const x = b.input('x', DT.FLOAT, ['batch', 4]);
  const w = b.initializer('fc.weight', [3, 4], new Float32Array(12));
  b.output(b.op('Softmax', [b.op('Gemm', [x, w], { transB: 1 })]), 'p', DT.FLOAT, ['batch', 3]);
  const m = b.build();
  const changed = upgradeModel(m);
  assert.deepEqual([...changed], [['Softmax', 1]]);
  // A classifier's Softmax on rank-2 Gemm output stays one Softmax on the last axis (the loss can look through it).
  const sm = m.graph!.node.find((n) => n.opType === 'Softmax')!;
  assert.equal(sm.attribute.find((a) => a.name === 'axis')!.i, -1n);
  assert.ok(m.graph!.initializer.some((t) => t.name === 'fc.weight'));
});
