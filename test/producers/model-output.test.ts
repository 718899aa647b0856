import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ort from 'onnxruntime-node';
import { formatInspection, inspectModel } from '../../src/cli/inspect.js';
import { GraphBuilder } from '../../src/core/onnx/builder.js';
import { loadModel, saveModel } from '../../src/core/onnx/model.js';
import { DT } from '../../src/core/onnx/tensor.js';
import { TrainingSession } from '../../src/core/session.js';
import { attachGraphs, branch, weights } from './graphs.js';

/** x → Linear → Softmax = `probs` → If(max prob > 0.5) { probs } else { probs · 0 } = out (post-processing). */
function postProcessed() {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DT.FLOAT, ['batch', 4]);
  const w = b.initializer('fc.weight', [4, 3], weights(12));
  const probs = b.node('Softmax', [b.scope('fc', () => b.op('MatMul', [x, w]))], { axis: -1 }, { outputs: ['probs'] })[0];
  const cond = b.op('Greater', [b.op('ReduceMax', [probs], { keepdims: 0 }), b.f32(0.5)]);
  b.output(b.op('If', [cond]), 'out', DT.FLOAT, ['batch', 3]);
  return attachGraphs(b.build(), 'If', {
    then_branch: branch((g) => g.op('Identity', [probs]), 'then.out', ['batch', 3]),
    else_branch: branch((g) => g.op('Mul', [probs, g.f32(0)]), 'else.out', ['batch', 3]),
  });
}

const feeds = {
  x: new ort.Tensor('float32', Float32Array.from({ length: 16 }, (_, i) => Math.cos(i)), [4, 4]),
  labels: new ort.Tensor('int64', BigInt64Array.from([0n, 1n, 2n, 1n]), [4]),
};

test('modelOutput: the loss reads an inner value; only its sub-graph trains; the export keeps the whole graph', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-mo-'));
  const file = path.join(dir, 'model.onnx');
  await saveModel(postProcessed(), file);
  const r = inspectModel(file);
  assert.deepEqual(r.modelOutputs, ['out', 'probs']);
  assert.match(formatInspection(r), /modelOutput choices: out, probs/);

  const s = await TrainingSession.create(file, feeds, { task: 'classification', optimizer: { name: 'sgd', lr: 1 }, prediction: 'probs' });
  assert.match(s.loss.note, /Softmax node .*cross-entropy on its input logits/);
  const first = (await s.evalStep(feeds)).loss;
  for (let i = 0; i < 3; i++) {
    s.lazyResetGrad();
    await s.trainStep(feeds);
    s.optimizerStep();
  }
  assert.ok((await s.evalStep(feeds)).loss < first, 'the weight beneath modelOutput trains');
  const exported = path.join(dir, 'tuned.onnx');
  await s.exportModelForInference(exported);
  await s.release();
  const m = loadModel(exported);
  assert.deepEqual(m.graph!.output.map((o) => o.name), ['out']);
  assert.ok(m.graph!.node.some((n) => n.opType === 'If'), 'post-processing kept');
  const inf = await ort.InferenceSession.create(exported);
  const out = (await inf.run({ x: feeds.x })).out;
  assert.deepEqual(out.dims, [4, 3]);
  await inf.release();
});
