// The one place the panel touches VS Code: creates or reveals the WebviewPanel (strict CSP with a nonce, local
// resources only from media/ and dist/webview/), relays messages to PanelHost, and watches the open experiment file.
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PanelView } from '../../contracts/panel.js';
import type { PanelDeps } from './deps.js';
import { workerJobs } from './jobs.js';
import { panelHtml } from './panel-html.js';
import { PanelHost } from './panel-host.js';

export type { PanelView };

export class PanelController {
  private static current: PanelController | undefined;
  private readonly host: PanelHost;
  private readonly disposables: vscode.Disposable[] = [];
  private watcher?: { file: string; w: vscode.FileSystemWatcher };

  static show(context: vscode.ExtensionContext, deps: PanelDeps, view?: PanelView): PanelController {
    const c = (PanelController.current ??= new PanelController(context, deps));
    c.panel.reveal(undefined, false);
    void c.host.show(view).then(() => c.watchExperiment());
    return c;
  }

  private readonly panel: vscode.WebviewPanel;

  private constructor(context: vscode.ExtensionContext, deps: PanelDeps) {
    const webviewRoot = vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview');
    this.panel = vscode.window.createWebviewPanel('finetune.panel', 'Fine-tune', vscode.ViewColumn.Active, {
      enableScripts: true,
      // Curves of long runs are costly to rebuild; the webview also restores its own UI state with setState.
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'media'), webviewRoot],
    });
    this.panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'finetune.svg');
    this.panel.webview.html = html(this.panel.webview, webviewRoot);
    const jobs = workerJobs(path.join(context.extensionPath, 'dist', 'panel-worker.cjs'));
    this.host = new PanelHost((m) => void this.panel.webview.postMessage(m), deps, jobs, {
      async saveFile(name, data) {
        const uri = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(path.join(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '', name)) });
        if (!uri) return false;
        await vscode.workspace.fs.writeFile(uri, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
        return true;
      },
    });
    this.disposables.push(
      this.panel.webview.onDidReceiveMessage((m) => this.host.receive(m).then(() => this.watchExperiment())),
      this.panel.onDidDispose(() => this.dispose()),
      { dispose: () => jobs.dispose() },
    );
  }

  /** File → panel: an edit of the open experiment file (in the editor or on disk) refreshes the freeze view. */
  private watchExperiment(): void {
    const file = this.host.experimentFile;
    if (!file || this.watcher?.file === file) return;
    this.watcher?.w.dispose();
    const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)));
    const refresh = () => void this.host.sendModel();
    w.onDidChange(refresh);
    w.onDidCreate(refresh);
    this.watcher = { file, w };
  }

  dispose(): void {
    if (PanelController.current === this) PanelController.current = undefined;
    this.host.dispose();
    this.watcher?.w.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}

function html(webview: vscode.Webview, root: vscode.Uri): string {
  const src = (f: string) => webview.asWebviewUri(vscode.Uri.joinPath(root, f)).toString();
  return panelHtml({ cspSource: webview.cspSource, script: src('panel.js'), style: src('panel.css'), nonce: randomBytes(16).toString('base64') });
}
