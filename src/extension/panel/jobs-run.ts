// The panel's heavy jobs themselves: run in the worker thread (jobs-worker.ts), or in-thread by tests and the bench.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { inspectModel } from '../../cli/inspect.js';
import { previewDataset } from '../../core/data/index.js';
import { RUN_FILES } from '../../core/experiment/run-dir.js';
import type { ModuleNode, ParamInfo } from '../../core/module-tree.js';
import { diffCheckpoints } from './checkpoint-diff.js';
import type { JobRequest, PanelJobs } from './jobs.js';

/** Parameters in model order, as `finetune inspect` lists them. */
export function modelParams(model: string): ParamInfo[] {
  const out: ParamInfo[] = [];
  const walk = (n: ModuleNode) => {
    out.push(...n.params);
    n.children.forEach(walk);
  };
  walk(inspectModel(model).tree);
  return out;
}

/** The model a checkpoint's run trained, from the run's experiment.json, for module names; none if unreadable. */
async function runModelParams(checkpointDir: string): Promise<ParamInfo[]> {
  try {
    const exp = JSON.parse(await readFile(path.join(path.dirname(path.dirname(checkpointDir)), RUN_FILES.experiment), 'utf8'));
    return typeof exp.model === 'string' ? modelParams(exp.model) : [];
  } catch {
    return [];
  }
}

export async function runJob(req: JobRequest): Promise<unknown> {
  switch (req.kind) {
    case 'preview':
      return previewDataset(req.file, req.opts);
    case 'params':
      return modelParams(req.model);
    case 'diff':
      return diffCheckpoints(req.a, req.b, await runModelParams(req.b));
  }
}

export const inProcessJobs: PanelJobs = {
  run: (req) => runJob(req) as never,
  dispose() {},
};
