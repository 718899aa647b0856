import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { TrainingSession } from '../../src/core/session.js';
import { FIXTURES, manifest, readRows, rowsToFeeds } from '../helpers/fixtures.js';

const REL_TOL = 1e-4;

function assertClose(actual: number, expected: number, what: string) {
  const rel = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-12);
  assert.ok(rel <= REL_TOL, `${what}: got ${actual}, PyTorch ${expected} (relative error ${rel.toExponential(2)})`);
}

async function evalLoss(session: TrainingSession, rows: Record<string, unknown>[], batchSize: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < rows.length; i += batchSize) {
    const chunk = rows.slice(i, i + batchSize);
    total += (await session.evalStep(rowsToFeeds(chunk))).loss * chunk.length;
  }
  return total / rows.length;
}

for (const fixture of manifest()) {
  for (const file of [`${fixture.model}.ts.onnx`, ...(fixture.model === 'encoder' ? ['encoder.external.onnx'] : [])]) {
    for (const scenario of fixture.scenarios) {
      test(`${file} ${scenario.id}: per-step loss matches PyTorch`, async () => {
        const train = readRows(path.join(FIXTURES, `${fixture.model}.train.jsonl`));
        const evalRows = readRows(path.join(FIXTURES, `${fixture.model}.eval.jsonl`));
        const B = fixture.batchSize;
        const session = await TrainingSession.create(path.join(FIXTURES, file), rowsToFeeds(train.slice(0, B)), {
          task: 'classification',
          freeze: scenario.frozenOnnx.ts,
          optimizer: scenario.optimizer,
          totalSteps: fixture.steps,
          threads: 1,
        });
        try {
          assertClose(await evalLoss(session, evalRows, B), scenario.fp32.evalLossBefore, 'eval loss before');
          for (let s = 0; s < fixture.steps; s++) {
            session.lazyResetGrad();
            const { loss } = await session.trainStep(rowsToFeeds(train.slice(s * B, (s + 1) * B)));
            assertClose(loss, scenario.fp32.losses[s], `step ${s} loss`);
            const { lr } = session.optimizerStep();
            assertClose(lr || 1e-30, scenario.lrs[s] || 1e-30, `step ${s} lr`);
          }
          assertClose(await evalLoss(session, evalRows, B), scenario.fp32.evalLossAfter, 'eval loss after');
        } finally {
          await session.release();
        }
      });
    }
  }
}
