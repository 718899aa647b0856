import * as vscode from 'vscode';
import type { ManagedRun } from './runs/run-manager.js';
import { statusText } from './status-bar-text.js';

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
    this.item.command = { command: 'finetune.openPanel', title: 'Open panel' }; // with no item: the active runs' curves
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
