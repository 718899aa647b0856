import { test } from 'node:test';
import * as path from 'node:path';
import { checkTrajectory, FIXTURES, manifest } from '../helpers/fixtures.js';

// The reference fixtures from ../shared/fixtures (copied into test/fixtures), each export × scenario.
for (const fixture of manifest()) {
  for (const file of [`${fixture.model}.ts.onnx`, ...(fixture.model === 'encoder' ? ['encoder.external.onnx'] : [])]) {
    for (const scenario of fixture.scenarios) {
      test(`${file} ${scenario.id}: per-step loss matches PyTorch`, () => checkTrajectory({
        model: path.join(FIXTURES, file), task: fixture.task, freeze: scenario.frozenOnnx.ts, scenario,
        batchSize: fixture.batchSize, steps: fixture.steps, dataDir: FIXTURES, name: fixture.model,
      }));
    }
  }
}
