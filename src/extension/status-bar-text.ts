import { etaSeconds, isActive, type ManagedRun } from './runs/run-manager.js';
import { formatDuration, runLabel } from './tree/tree-model.js';

/** The active run's step, loss and ETA; a click opens its curves. */
export function statusText(runs: readonly ManagedRun[]): { text: string; tooltip: string; runDir?: string } | undefined {
  const active = runs.filter(isActive);
  const run = active.at(-1);
  if (!run) return undefined;
  const name = run.request.label;
  const more = active.length > 1 ? ` (+${active.length - 1})` : '';
  const queued = runs.filter((r) => r.status === 'queued').length;
  if (run.status === 'starting') return { text: `$(loading~spin) ${name}: setting up${more}`, tooltip: 'Reading the model and data, compiling the training graph' };
  const eta = etaSeconds(run);
  const parts = [`${run.step}/${run.totalSteps ?? '?'}`, run.loss !== undefined ? `loss ${run.loss.toFixed(4)}` : undefined, eta !== undefined ? `ETA ${formatDuration(eta)}` : undefined];
  return {
    text: `$(sync~spin) ${name} ${parts.filter(Boolean).join(' · ')}${more}`,
    tooltip: `${runLabel(run.runDir, name)}: ${run.status}${queued ? `, ${queued} queued` : ''}. Click to open its curves.`,
    runDir: run.runDir,
  };
}
