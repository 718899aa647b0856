import * as vscode from 'vscode';
import type { PickItem, Prompter, Step } from './fine-tune-flow.js';

const title = (s: Step) => s.title;

/** The flow's prompts as QuickPick and InputBox, with step counters; Escape resolves `undefined`. */
export const vscodePrompter: Prompter = {
  pick<T>(step: Step, items: PickItem<T>[]): Promise<T | undefined> {
    return new Promise((resolve) => {
      const qp = vscode.window.createQuickPick<vscode.QuickPickItem & { value: T }>();
      qp.title = title(step);
      qp.step = step.step;
      qp.totalSteps = step.totalSteps;
      qp.placeholder = step.placeholder;
      qp.matchOnDescription = true;
      qp.matchOnDetail = true;
      qp.ignoreFocusOut = true;
      qp.items = items.map((i) => ({ label: i.label, description: i.description, detail: i.detail, value: i.value }));
      let done = false;
      qp.onDidAccept(() => {
        const chosen = qp.selectedItems[0];
        if (!chosen) return;
        done = true;
        resolve(chosen.value);
        qp.hide();
      });
      qp.onDidHide(() => {
        if (!done) resolve(undefined);
        qp.dispose();
      });
      qp.show();
    });
  },
  async input(step) {
    return vscode.window.showInputBox({
      title: `${title(step)} (${step.step}/${step.totalSteps})`, prompt: step.placeholder, value: step.value, ignoreFocusOut: true,
      validateInput: (v) => step.validate(v) ?? null,
    });
  },
  async explain(message) {
    await vscode.window.showWarningMessage(message, { modal: true });
  },
};
