import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatInspection, inspectModel } from '../../src/cli/inspect.js';
import { GraphBuilder } from '../../src/core/onnx/builder.js';
import { loadModel, saveModel } from '../../src/core/onnx/model.js';
import { DT } from '../../src/core/onnx/tensor.js';
import { checkTrajectory, FIXTURES, manifest } from '../helpers/fixtures.js';
import { behindConstantIf, toConstantForm, weights } from './graphs.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-constw-'));
async function write(name: string, model: ReturnType<typeof loadModel>): Promise<string> {
  const file = path.join(dir, name);
  await saveModel(model, file);
  return file;
}

// The reference fixtures rewritten into other producers' forms train exactly as exported by PyTorch.
for (const fixture of manifest().filter((f) => f.model === 'mlp' || f.model === 'cnnbn')) {
  const original = loadModel(path.join(FIXTURES, `${fixture.model}.ts.onnx`));
  for (const [form, rewrite] of [['constant-weights', toConstantForm], ['behind-constant-if', behindConstantIf]] as const) {
    const scenario = fixture.scenarios[0];
    test(`${fixture.model} with ${form}: per-step loss matches PyTorch, inspect counts the same parameters`, async () => {
      const file = await write(`${fixture.model}.${form}.onnx`, rewrite(original));
      const expected = inspectModel(path.join(FIXTURES, `${fixture.model}.ts.onnx`));
      const got = inspectModel(file);
      assert.equal(got.totalParams, expected.totalParams);
      assert.ok(got.totalParams > 0);
      assert.deepEqual(got.unsupportedOps, []);
      if (form === 'behind-constant-if') assert.match(formatInspection(got), /note: If nodes with a constant condition replaced by the branch taken: body/);
      await checkTrajectory({
        model: file, task: fixture.task, freeze: scenario.frozenOnnx.ts, scenario,
        batchSize: fixture.batchSize, steps: fixture.steps, dataDir: FIXTURES, name: fixture.model,
      });
    });
  }
}

test('what is a parameter: weights and biases are; a clamp threshold, an exponent and running statistics are not', async () => {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DT.FLOAT, ['batch', 2, 4, 4]);
  const conv = b.scope('conv', () => b.op('Conv', [x, b.constant(weights(2 * 2 * 9), [2, 2, 3, 3]), b.constant(weights(2, 3), [2])], { pads: [1, 1, 1, 1] }));
  const bn = b.scope('bn', () => b.op('BatchNormalization', [conv, b.constant(weights(2, 4), [2]), b.constant(weights(2, 5), [2]), b.constant(Float32Array.of(0, 0), [2]), b.constant(Float32Array.of(1, 1), [2])]));
  // tf2onnx: Relu6 as Max(x, 0) / Min(x, 6) with [1,1,1,1] thresholds; a squared term.
  const clamped = b.op('Min', [b.op('Max', [bn, b.constant(Float32Array.of(0), [1, 1, 1, 1])]), b.constant(Float32Array.of(6), [1, 1, 1, 1])]);
  const sq = b.op('Pow', [clamped, b.constant(Float32Array.of(2), [1])]);
  const flat = b.op('Flatten', [sq]);
  const fc = b.scope('fc', () => b.op('Add', [b.op('MatMul', [flat, b.constant(weights(32), [32, 1])]), b.constant(Float32Array.of(0.1), [1])]));
  b.output(fc, 'out', DT.FLOAT, ['batch', 1]);
  const r = inspectModel(await write('tf2onnx-like.onnx', b.build()));
  assert.equal(r.totalParams, 36 + 2 + 2 + 2 + 32 + 1, 'conv W+B, bn scale+bias, fc W + single bias');
  const reasons = r.constants.map((c) => c.reason).sort();
  assert.deepEqual(reasons, [
    'a single value read by Max (input 1)', 'a single value read by Min (input 1)', 'a single value read by Pow (input 1)',
    'running statistic', 'running statistic',
  ]);
  assert.match(formatInspection(r), /constants \(not trained\): 5/);
});

// PyTorch's GroupNorm: Reshape [N, G, -1] → InstanceNormalization(scale ones, bias zeros) → Reshape back → Mul/Add
// by the module's weight and bias. Trained, the ones and zeros would be parameters PyTorch does not have (the
// trajectory drifted by ~1e-3 in a step before they were kept constant).
test('GroupNorm export: the InstanceNormalization ones/zeros stay constants, the module weight and bias train', () => {
  const r = inspectModel(path.join(FIXTURES, 'producers', 'groupnorm-tile-triu.op17.onnx'));
  assert.equal(r.totalParams, 112 + 8 + 99); // conv, norm.weight + norm.bias, fc: PyTorch's count
  assert.deepEqual(r.constants.map((c) => c.reason).filter((s) => s.startsWith('GroupNorm')),
    ["GroupNorm's fixed unit scale (its affine follows the Reshape back)", "GroupNorm's fixed zero bias (its affine follows the Reshape back)"]);
});
