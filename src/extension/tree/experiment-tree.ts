import * as vscode from 'vscode';
import { buildTree, checkpointNodes, viewOf, type ExperimentNode, type TreeNode } from './tree-model.js';

/** Maps the plain tree model onto VS Code's TreeDataProvider. */
export class ExperimentTreeProvider implements vscode.TreeDataProvider<TreeNode> {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private roots: ExperimentNode[] = [];

  private shown = '';

  /** Redraws only when something visible changed: a redraw mid-click can lose the row a menu was opened on. */
  setRoots(roots: ReturnType<typeof buildTree>): void {
    this.roots = roots;
    const shown = JSON.stringify(roots.map((e) => [viewOf(e), e.runs.map((r) => [viewOf(r), checkpointNodes(r).map(viewOf)])]));
    if (shown === this.shown) return;
    this.shown = shown;
    this.changed.fire(undefined);
  }

  getRoots(): readonly ExperimentNode[] {
    return this.roots;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const v = viewOf(node);
    const item = new vscode.TreeItem(v.label, {
      none: vscode.TreeItemCollapsibleState.None,
      collapsed: vscode.TreeItemCollapsibleState.Collapsed,
      expanded: vscode.TreeItemCollapsibleState.Expanded,
    }[v.collapsible]);
    item.id = node.id;
    item.description = v.description;
    item.tooltip = v.tooltip;
    item.contextValue = v.contextValue;
    item.iconPath = new vscode.ThemeIcon(v.icon.id, v.icon.color ? new vscode.ThemeColor(v.icon.color) : undefined);
    // No arguments: the tree redraws while runs train, and VS Code drops the arguments of items it redrew before the
    // click arrived ("command not found"). The command reads the view's selection instead.
    if (node.kind === 'run' && node.runDir) item.command = { command: 'finetune.openPanel', title: 'Open panel' };
    if (node.kind === 'experiment' && node.file) item.resourceUri = vscode.Uri.file(node.file);
    return item;
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) return this.roots;
    if (node.kind === 'experiment') return node.runs;
    if (node.kind === 'run') return checkpointNodes(node);
    return [];
  }

  getParent(node: TreeNode): TreeNode | undefined {
    if (node.kind === 'experiment') return undefined;
    if (node.kind === 'run') return this.roots.find((e) => e.runs.includes(node));
    for (const e of this.roots) for (const r of e.runs) if (r.runDir === node.runDir) return r;
    return undefined;
  }
}
