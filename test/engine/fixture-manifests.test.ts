import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES } from '../helpers/fixtures.js';

/**
 * What each manifest must hold, so a fixture or scenario that silently disappears (a bad regeneration, a manifest
 * edit) fails here instead of shrinking the trajectory tests: model → [number of exports, scenario ids].
 */
const EXPECTED: Record<string, Record<string, [number, string[]]>> = {
  'manifest.json': {
    mlp: [1, ['sgd-full', 'adamw-full', 'adamw-head']],
    cnnbn: [1, ['sgd-momentum-wd', 'adamw-head-only']],
    encoder: [1, ['adamw-full-sched-clip', 'adamw-freeze-embeddings-layer0', 'sgd-head-only', 'sgd-full']],
  },
  'extra/manifest.json': {
    mobilenetv3: [3, ['sgd-momentum-full', 'adamw-head-only']],
    gpt2: [4, ['adamw-full-warmup', 'adamw-blocks-frozen', 'sgd-full']],
    bert: [3, ['adamw-full-clip', 'adamw-freeze-embeddings-layer0', 'sgd-full']],
    mlp: [2, ['sgd-full', 'adamw-full', 'adamw-head']],
    cnnbn: [2, ['sgd-momentum-wd', 'adamw-head-only']],
    encoder: [2, ['adamw-full-sched-clip', 'adamw-freeze-embeddings-layer0', 'sgd-head-only', 'sgd-full']],
    poolnet: [1, ['sgd-full', 'adamw-full']],
  },
};

interface ManifestScenario { id: string; lrs: number[]; fp32: { losses: number[] }; fp64: { losses: number[] } }
interface ManifestModel { model: string; steps: number; exports: Record<string, { file: string }>; scenarios: ManifestScenario[] }

for (const [file, models] of Object.entries(EXPECTED)) {
  test(`${file} holds every expected model, export and scenario`, () => {
    const manifestPath = path.join(FIXTURES, file);
    const actual: ManifestModel[] = JSON.parse(fs.readFileSync(manifestPath, 'utf8')).models;
    assert.deepEqual(actual.map((m) => m.model), Object.keys(models));
    for (const m of actual) {
      const [exportCount, ids] = models[m.model];
      assert.equal(Object.keys(m.exports).length, exportCount, `${m.model}: exports`);
      assert.deepEqual(m.scenarios.map((s) => s.id), ids, `${m.model}: scenarios`);
      for (const e of Object.values(m.exports)) {
        assert.ok(fs.existsSync(path.join(path.dirname(manifestPath), e.file)), `${m.model}: ${e.file} exists`);
      }
      for (const s of m.scenarios) {
        assert.equal(s.lrs.length, m.steps, `${m.model} ${s.id}: lrs`);
        assert.equal(s.fp32.losses.length, m.steps, `${m.model} ${s.id}: fp32 losses`);
        assert.equal(s.fp64.losses.length, m.steps, `${m.model} ${s.id}: fp64 losses`);
        assert.ok(s.fp32.losses.every(Number.isFinite), `${m.model} ${s.id}: finite losses`);
      }
    }
  });
}
