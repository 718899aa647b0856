import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('finetune.fineTuneModel', () => vscode.window.showInformationMessage('Fine-tune: coming up')),
  );
}

export function deactivate(): void {}
