import * as vscode from 'vscode';
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

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('finetune.activeRun', vscode.StatusBarAlignment.Left, 10);

  constructor() {
    this.item.name = 'Fine-tune: active run';
  }

  update(runs: readonly ManagedRun[]): void {
    const s = statusText(runs);
    if (!s) {
      this.item.hide();
      return;
    }
    this.item.text = s.text;
    this.item.tooltip = s.tooltip;
    this.item.command = { command: 'finetune.openPanel', title: 'Open panel', arguments: s.runDir ? [{ kind: 'run', runDir: s.runDir }] : [] };
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
