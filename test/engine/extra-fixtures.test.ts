import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TrainingSession } from '../../src/core/session.js';
import type { Task } from '../../src/core/training-graph.js';
import { FIXTURES, readRows, rowsToFeeds, type Scenario } from '../helpers/fixtures.js';

/**
 * Exports the engine was not written against (test/fixtures/extra/README.md): torchvision MobileNetV3, a BERT-style
 * classifier with Hugging Face parameter names, and opset 16/18/20 and external-data forms of these and of the
 * original fixtures. Same protocol as trajectories.test.ts, for every export × scenario of extra/manifest.json.
 */
const EXTRA = path.join(FIXTURES, 'extra');
const REL_TOL = 1e-4;

interface ExtraExport { file: string; opset: [string, number][]; externalData: string[] }
interface ExtraScenario extends Omit<Scenario, 'frozenOnnx'> { frozenOnnx: Record<string, string[]> }
interface ExtraModel {
  model: string;
  task: Task;
  batchSize: number;
  steps: number;
  /** Folder of NAME.train.jsonl / NAME.eval.jsonl relative to extra/ (default: extra/ itself). */
  data?: string;
  exports: Record<string, ExtraExport>;
  scenarios: ExtraScenario[];
}

function assertClose(actual: number, expected: number, what: string) {
  const rel = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-12);
  assert.ok(rel <= REL_TOL, `${what}: got ${actual}, PyTorch ${expected} (relative error ${rel.toExponential(2)})`);
}

/** Mean over examples for classification; for causal-lm, the mean over predicted tokens (weights = kept targets). */
async function evalLoss(session: TrainingSession, task: Task, rows: Record<string, unknown>[], batchSize: number): Promise<number> {
  let total = 0, weight = 0;
  for (let i = 0; i < rows.length; i += batchSize) {
    const chunk = rows.slice(i, i + batchSize);
    const w = task === 'causal-lm'
      ? chunk.reduce((n, r) => n + (r.attention_mask as number[]).slice(1).reduce((a, b) => a + b, 0), 0)
      : chunk.length;
    total += (await session.evalStep(rowsToFeeds(chunk))).loss * w;
    weight += w;
  }
  return total / weight;
}

const models: ExtraModel[] = JSON.parse(fs.readFileSync(path.join(EXTRA, 'manifest.json'), 'utf8')).models;

for (const fixture of models) {
  const dataDir = path.join(EXTRA, fixture.data ?? '.');
  for (const [key, exp] of Object.entries(fixture.exports)) {
    for (const scenario of fixture.scenarios) {
      const opset = exp.opset.find(([d]) => d === '' || d === 'ai.onnx')?.[1];
      test(`extra ${exp.file} (opset ${opset}) ${scenario.id}: per-step loss matches PyTorch`, async () => {
        const train = readRows(path.join(dataDir, `${fixture.model}.train.jsonl`));
        const evalRows = readRows(path.join(dataDir, `${fixture.model}.eval.jsonl`));
        const B = fixture.batchSize;
        const session = await TrainingSession.create(path.join(EXTRA, exp.file), rowsToFeeds(train.slice(0, B)), {
          task: fixture.task,
          freeze: scenario.frozenOnnx[key] ?? scenario.frozenOnnx.ts,
          optimizer: scenario.optimizer,
          totalSteps: fixture.steps,
          threads: 1,
        });
        try {
          assertClose(await evalLoss(session, fixture.task, evalRows, B), scenario.fp32.evalLossBefore, 'eval loss before');
          for (let s = 0; s < fixture.steps; s++) {
            session.lazyResetGrad();
            const { loss } = await session.trainStep(rowsToFeeds(train.slice(s * B, (s + 1) * B)));
            assertClose(loss, scenario.fp32.losses[s], `step ${s} loss`);
            const { lr } = session.optimizerStep();
            assertClose(lr || 1e-30, scenario.lrs[s] || 1e-30, `step ${s} lr`);
          }
          assertClose(await evalLoss(session, fixture.task, evalRows, B), scenario.fp32.evalLossAfter, 'eval loss after');
        } finally {
          await session.release();
        }
      });
    }
  }
}
