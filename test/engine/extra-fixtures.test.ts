import { test } from 'node:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Task } from '../../src/core/training-graph.js';
import { checkTrajectory, FIXTURES, type Scenario } from '../helpers/fixtures.js';

/**
 * Exports the engine was not written against (test/fixtures/extra/README.md): torchvision MobileNetV3, a BERT-style
 * classifier with Hugging Face parameter names, and opset 16/18/20 and external-data forms of these and of the
 * original fixtures. Same protocol as trajectories.test.ts, for every export × scenario of extra/manifest.json.
 */
const EXTRA = path.join(FIXTURES, 'extra');

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

const models: ExtraModel[] = JSON.parse(fs.readFileSync(path.join(EXTRA, 'manifest.json'), 'utf8')).models;

for (const fixture of models) {
  const dataDir = path.join(EXTRA, fixture.data ?? '.');
  for (const [key, exp] of Object.entries(fixture.exports)) {
    for (const scenario of fixture.scenarios) {
      const opset = exp.opset.find(([d]) => d === '' || d === 'ai.onnx')?.[1];
      test(`extra ${exp.file} (opset ${opset}) ${scenario.id}: per-step loss matches PyTorch`, () => checkTrajectory({
        model: path.join(EXTRA, exp.file), task: fixture.task, freeze: scenario.frozenOnnx[key] ?? scenario.frozenOnnx.ts, scenario,
        batchSize: fixture.batchSize, steps: fixture.steps, dataDir, name: fixture.model,
      }));
    }
  }
}
