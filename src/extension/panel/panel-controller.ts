// Placeholder until the panel lands (branch `panel`): the API the rest of the host calls.
import * as vscode from 'vscode';
import type { PanelDeps } from './deps.js';

export type PanelView =
  | { section: 'preview'; file: string }
  | { section: 'model'; experimentFile: string }
  | { section: 'curves'; runDirs: string[] }
  | { section: 'diff'; a: string; b: string };

export class PanelController {
  private static current?: PanelController;

  private constructor(private readonly panel: vscode.WebviewPanel) {
    panel.onDidDispose(() => (PanelController.current = undefined));
  }

  static show(_context: vscode.ExtensionContext, _deps: PanelDeps, view?: PanelView): PanelController {
    const current = PanelController.current ?? new PanelController(vscode.window.createWebviewPanel('finetune.panel', 'Fine-tune', vscode.ViewColumn.Active, {}));
    PanelController.current = current;
    current.panel.webview.html = `<!doctype html><body>${view ? view.section : 'Fine-tune'}</body>`;
    current.panel.reveal();
    return current;
  }

  dispose(): void {
    this.panel.dispose();
  }
}
