import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ort from 'onnxruntime-node';
import { formatInspection, inspectModel } from '../../src/cli/inspect.js';
import { staticUnsupportedOps } from '../../src/core/autodiff/backward.js';
import { GraphBuilder } from '../../src/core/onnx/builder.js';
import { saveModel } from '../../src/core/onnx/model.js';
import { DT } from '../../src/core/onnx/tensor.js';
import { TrainingSession } from '../../src/core/session.js';
import { ifClassifier, weights } from './graphs.js';

const feeds = {
  x: new ort.Tensor('float32', Float32Array.from({ length: 16 }, (_, i) => Math.cos(i)), [4, 4]),
  labels: new ort.Tensor('int64', BigInt64Array.from([0n, 1n, 2n, 1n]), [4]),
};

async function tmpModel(model: ReturnType<typeof ifClassifier>): Promise<string> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ft-cf-')), 'model.onnx');
  await saveModel(model, file);
  return file;
}

test('the unsupported-op check walks If branches: the If and the ops inside it are listed', async () => {
  const model = ifClassifier({ op: 'LpNormalization', unlike: true });
  const missing = staticUnsupportedOps(model.graph!, ['then.weight', 'else.weight']);
  assert.deepEqual(missing.map((m) => m.opType).sort(), ['If', 'LpNormalization', 'LpNormalization']);
  const report = formatInspection(inspectModel(await tmpModel(model)));
  assert.match(report, /unsupported ops on the training path:\n {2}If: /);
  assert.doesNotMatch(report, /every op on the training path has a gradient rule/);
  // An If that trains through the branch taken is not itself a missing rule; the ops inside it still are.
  assert.deepEqual(staticUnsupportedOps(ifClassifier({ op: 'LpNormalization' }).graph!, ['then.weight', 'else.weight']).map((m) => m.opType), ['LpNormalization', 'LpNormalization']);
});

test('a data-dependent If with pure branches shaped alike trains through the branch each batch takes', async () => {
  const s = await TrainingSession.create(ifClassifier(), feeds, { task: 'classification', optimizer: { name: 'sgd', lr: 0.1 } });
  assert.ok(s.loadNotes.some((n) => /data-dependent If trained through the branch taken .*\/If/.test(n)), s.loadNotes.join('\n'));
  const taken = (x: ort.Tensor) => (x.data as Float32Array).reduce((a, b) => a + b, 0) > 0 ? 'then.weight' : 'else.weight';
  for (const sign of [1, -1]) {
    const x = new ort.Tensor('float32', (feeds.x.data as Float32Array).map((v) => sign * (Math.abs(v) + 0.1)), [4, 4]);
    s.lazyResetGrad();
    await s.trainStep({ x, labels: feeds.labels });
    for (const p of s.trainable) {
      const norm = p.grad.reduce((a, g) => a + g * g, 0);
      if (p.name === taken(x)) assert.ok(norm > 0, `${p.name} gets a gradient`);
      else assert.equal(norm, 0, `${p.name} (branch not taken) gets none`);
    }
  }
  await s.release();
});

test('a data-dependent If whose branches differ is refused, naming the node and suggesting modelOutput', async () => {
  await assert.rejects(
    TrainingSession.create(ifClassifier({ unlike: true }), feeds, { task: 'classification', optimizer: { name: 'sgd', lr: 0.1 } }),
    /If \(1\): \/If[\s\S]*If node '\/If' decides at run time[\s\S]*modelOutput/,
  );
});

test('never a silent no-op: a loss that no trainable parameter reaches stops before step 1', async () => {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DT.FLOAT, ['batch', 4]);
  const w = b.initializer('aux.weight', [4, 3], weights(12));
  b.output(b.op('Slice', [x, b.i64([0]), b.i64([3]), b.i64([1])]), 'out', DT.FLOAT, ['batch', 3]);
  b.output(b.op('MatMul', [x, w]), 'aux', DT.FLOAT, ['batch', 3]);
  await assert.rejects(
    TrainingSession.create(b.build(), feeds, { task: 'classification', optimizer: { name: 'sgd', lr: 0.1 } }),
    /the loss does not depend on any trainable parameter \(none of the 1 parameters asked to train reaches output 'out'\)/,
  );
});
