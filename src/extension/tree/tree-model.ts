// The experiment tree as plain data: experiments → runs → checkpoints, merging what is on disk with the live runs of
// this window, and how each node looks (label, description, icon, context value). The TreeDataProvider only maps it.
import * as path from 'node:path';
import type { CheckpointEntry } from '../../core/checkpoints/checkpoint.js';
import { etaSeconds, type LiveStatus, type ManagedRun } from '../runs/run-manager.js';
import { bestEval, type EvalRow, type ExperimentFile, type RunRecord } from '../runs/workspace-runs.js';

export interface ExperimentNode {
  kind: 'experiment';
  id: string;
  name: string;
  file?: string;
  problem?: string;
  runs: RunNode[];
}

export interface RunNode {
  kind: 'run';
  id: string;
  experiment: string;
  experimentFile?: string;
  runDir?: string;
  status: LiveStatus;
  record?: RunRecord;
  live?: ManagedRun;
}

export interface CheckpointNode {
  kind: 'checkpoint';
  id: string;
  runDir: string;
  step: number;
  dir: string;
  evals: EvalRow[];
  /** The newest checkpoint of a run whose training continues from it on Resume. */
  latest: boolean;
}

export type TreeNode = ExperimentNode | RunNode | CheckpointNode;

export interface NodeView {
  label: string;
  description?: string;
  tooltip: string;
  icon: { id: string; color?: string };
  contextValue: string;
  collapsible: 'none' | 'collapsed' | 'expanded';
}

/** Groups runs under their experiments: experiment files first (in file order), then names known only from runs. */
export function buildTree(experiments: ExperimentFile[], records: RunRecord[], live: readonly ManagedRun[]): ExperimentNode[] {
  const byName = new Map<string, ExperimentNode>();
  const byFile = new Map<string, ExperimentNode>();
  const node = (name: string, file?: string): ExperimentNode => {
    const key = file ?? `name:${name}`;
    let n = (file && byFile.get(file)) || byName.get(name);
    if (!n) {
      n = { kind: 'experiment', id: `exp:${key}`, name, file, runs: [] };
      byName.set(name, n);
      if (file) byFile.set(file, n);
    }
    return n;
  };
  for (const e of experiments) Object.assign(node(e.name, e.file), { problem: e.problem });

  const liveByDir = new Map(live.filter((r) => r.runDir).map((r) => [r.runDir!, r]));
  const shown = new Set<string>();
  for (const rec of records) {
    const run = liveByDir.get(rec.runDir);
    const exp = (rec.experimentFile && byFile.get(rec.experimentFile)) || node(rec.experiment);
    exp.runs.push({
      kind: 'run', id: `run:${rec.runDir}`, experiment: exp.name, experimentFile: exp.file, runDir: rec.runDir,
      status: run ? run.status : rec.state?.status ?? 'failed', record: rec, live: run,
    });
    shown.add(rec.runDir);
  }
  // Live runs not on disk yet (queued, setting up) or not found by the scan.
  for (const run of live) {
    if (run.runDir && shown.has(run.runDir)) continue;
    if (!run.runDir && run.status === 'stopped') continue; // a queued run that was cancelled
    const exp = byFile.get(run.request.experimentFile) ?? node(run.request.label);
    exp.runs.unshift({ kind: 'run', id: run.runDir ? `run:${run.runDir}` : `live:${run.id}`, experiment: exp.name, experimentFile: exp.file, runDir: run.runDir, status: run.status, live: run });
  }
  const roots = [...new Set(byName.values())];
  // A new id once runs appear, so VS Code shows the experiment expanded instead of remembering it childless.
  for (const e of roots) if (e.runs.length) e.id += ':runs';
  return roots;
}

export function checkpointNodes(run: RunNode): CheckpointNode[] {
  const rec = run.record;
  if (!rec || !run.runDir) return [];
  const last = rec.checkpoints.at(-1)?.step;
  return [...rec.checkpoints].reverse().map((c: CheckpointEntry) => ({
    kind: 'checkpoint', id: `ckpt:${c.dir}`, runDir: run.runDir!, step: c.step, dir: c.dir,
    evals: rec.evals.filter((e) => e.step === c.step), latest: c.step === last,
  }));
}

const ICONS: Record<LiveStatus, { id: string; color?: string }> = {
  queued: { id: 'clock' },
  starting: { id: 'loading~spin' },
  running: { id: 'sync~spin', color: 'charts.blue' },
  stopping: { id: 'loading~spin', color: 'charts.yellow' },
  completed: { id: 'pass', color: 'testing.iconPassed' },
  stopped: { id: 'debug-pause', color: 'charts.yellow' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  interrupted: { id: 'warning', color: 'charts.orange' },
};

export function formatEval(e: EvalRow | undefined): string | undefined {
  if (!e) return undefined;
  return e.accuracy !== undefined ? `acc ${(e.accuracy * 100).toFixed(1)}%` : `loss ${e.loss.toFixed(4)}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

/** `digits-5-9-20261202-143757` → `2026-12-02 14:37:57` (the folder's time stamp), else the folder name. */
export function runLabel(runDir: string | undefined, fallback: string): string {
  if (!runDir) return fallback;
  const m = /(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})(-\d+)?((?:-from-step-\d+)?)$/.exec(path.basename(runDir));
  return m ? `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}${m[8] ? ` (${m[8].slice(1).replace(/-/g, ' ')})` : ''}` : path.basename(runDir);
}

function runDescription(run: RunNode): string {
  const live = run.live, state = run.record?.state;
  const step = live?.step ?? state?.step ?? 0, total = live?.totalSteps ?? state?.totalSteps;
  const best = formatEval(bestEval(run.record?.evals ?? []));
  switch (run.status) {
    case 'queued': return 'queued';
    case 'starting': return 'setting up…';
    case 'running': {
      const loss = live?.loss ?? state?.loss;
      const eta = live ? etaSeconds(live) : undefined;
      return [`step ${step}/${total ?? '?'}`, loss !== undefined ? `loss ${loss.toFixed(4)}` : undefined, eta !== undefined ? `ETA ${formatDuration(eta)}` : undefined]
        .filter(Boolean).join(' · ');
    }
    case 'stopping': return `stopping at step ${step}…`;
    case 'completed': return ['completed', best].filter(Boolean).join(' · ');
    case 'stopped': return [`stopped at ${step}/${total ?? '?'}`, best].filter(Boolean).join(' · ');
    case 'interrupted': return `interrupted at step ${step} · resumable`;
    case 'failed': {
      const why = run.live?.error ?? run.record?.state?.error ?? run.record?.problem;
      return `failed${why ? `: ${why.split('\n')[0]}` : ''}`;
    }
  }
}

export function viewOf(node: TreeNode): NodeView {
  switch (node.kind) {
    case 'experiment': {
      const best = node.runs.map((r) => bestEval(r.record?.evals ?? [])).filter((e): e is EvalRow => !!e)
        .sort((a, b) => (b.accuracy ?? -b.loss) - (a.accuracy ?? -a.loss))[0];
      const runs = `${node.runs.length} run${node.runs.length === 1 ? '' : 's'}`;
      return {
        label: node.name,
        description: node.problem ? `⚠ ${node.problem}` : [runs, formatEval(best) && `best ${formatEval(best)}`].filter(Boolean).join(' · '),
        tooltip: [node.name, node.file, node.problem].filter(Boolean).join('\n'),
        icon: { id: 'beaker' },
        contextValue: node.file ? 'experiment' : 'experiment.nofile',
        collapsible: node.runs.length ? 'expanded' : 'none',
      };
    }
    case 'run': {
      const error = node.live?.error ?? node.record?.state?.error ?? node.record?.problem;
      return {
        label: runLabel(node.runDir, node.live?.request.label ?? 'run'),
        description: runDescription(node),
        tooltip: [node.runDir ?? 'not started yet', `status: ${node.status}`, error ? `error: ${error.split('\n')[0]}` : undefined].filter(Boolean).join('\n'),
        icon: ICONS[node.status],
        contextValue: `run.${node.status}`,
        collapsible: node.record?.checkpoints.length ? 'collapsed' : 'none',
      };
    }
    case 'checkpoint':
      return {
        label: `step ${node.step}`,
        description: node.evals.map((e) => `${e.split}: ${formatEval(e)}`).join(' · ') || undefined,
        tooltip: node.dir,
        icon: { id: 'save' },
        contextValue: 'checkpoint',
        collapsible: 'none',
      };
  }
}
