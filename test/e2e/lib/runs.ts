// What the extension wrote to disk: run folders and their run.json, read the way a user's shell would see them.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface RunJson {
  status: string;
  pid: number;
  step: number;
  totalSteps: number;
}

/** Run folders under the workspace's default runs folder, oldest first. */
export function runDirs(workspace: string): string[] {
  const root = path.join(workspace, '.finetune', 'runs');
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => path.join(root, d.name)).sort();
}

/** run.json of a run folder, or undefined while it is not (fully) written. */
export function readRunJson(runDir: string): RunJson | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')) as RunJson;
  } catch {
    return undefined;
  }
}

export function checkpointSteps(runDir: string): number[] {
  const dir = path.join(runDir, 'checkpoints');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).map((d) => /^step-0*(\d+)$/.exec(d)?.[1]).filter((s): s is string => !!s).map(Number).sort((a, b) => a - b);
}
