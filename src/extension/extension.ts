// The extension host's entry: wires the run manager, the experiment tree, the status bar, the panel and the commands
// to VS Code. The logic they use lives in plain modules (runs/, tree/, setup/) tested without VS Code.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { writeJsonAtomic } from '../core/checkpoints/atomic.js';
import { RUN_FILES } from '../core/experiment/run-dir.js';
import { startTraining } from '../worker/spawn.js';
import { workerJobs, type PanelJobs } from './panel/jobs.js';
import { PanelController, type PanelView } from './panel/panel-controller.js';
import type { PanelDeps } from './panel/deps.js';
import { isActive, RunManager, type ManagedRun, type StartRequest } from './runs/run-manager.js';
import { bestEval, listRunDirs, readExperimentFile, RunReader, type ExperimentFile, type RunRecord } from './runs/workspace-runs.js';
import { fineTuneFlow, type FlowEnv } from './setup/fine-tune-flow.js';
import { vscodePrompter } from './setup/vscode-prompter.js';
import { StatusBar } from './status-bar.js';
import { ExperimentTreeProvider } from './tree/experiment-tree.js';
import { buildTree, formatEval, runLabel, type CheckpointNode, type ExperimentNode, type RunNode, type TreeNode } from './tree/tree-model.js';

const EXCLUDE = '**/{node_modules,.git,out,dist}/**';
// ripgrep (findFiles) rejects nested {} groups, so the run folders join the same group instead of `{EXCLUDE,…}`.
const EXCLUDE_WITH_RUNS = '**/{node_modules,.git,out,dist,.finetune}/**';
const DATA_GLOB = '**/*.{csv,tsv,jsonl,parquet,txt}';
const IMAGE_GLOB = '**/*.{png,jpg,jpeg}';

function config() {
  const c = vscode.workspace.getConfiguration('finetune');
  return {
    runsFolder: c.get<string>('runsFolder', '.finetune/runs'),
    experimentsFolder: c.get<string>('experimentsFolder', '.finetune/experiments'),
    threads: c.get<number>('threads', 0),
    defaultBatchSize: c.get<number>('defaultBatchSize', 16),
    maxConcurrentRuns: c.get<number>('maxConcurrentRuns', 1),
  };
}

function workspaceRoot(hint?: string): string | undefined {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (hint) {
    const f = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(hint));
    if (f) return f.uri.fsPath;
  }
  return folders[0]?.uri.fsPath;
}

/** Image datasets are folders: `<dataset>/<label>/*.png`, or `<dataset>/{train,validation}/<label>/*.png`. */
function imageDatasets(images: vscode.Uri[]): string[] {
  const out = new Set<string>();
  for (const img of images) {
    let dir = path.dirname(path.dirname(img.fsPath));
    if (/^(train|validation|valid|val|test)$/i.test(path.basename(dir))) dir = path.dirname(dir);
    out.add(dir);
  }
  return [...out];
}

class FineTune {
  private readonly output = vscode.window.createOutputChannel('Fine-tune', { log: true });
  private readonly jobs: PanelJobs;
  private readonly manager: RunManager;
  private readonly tree = new ExperimentTreeProvider();
  private readonly view: vscode.TreeView<TreeNode>;
  private readonly reader = new RunReader();
  private readonly status: StatusBar;
  private records: RunRecord[] = [];
  private experiments: ExperimentFile[] = [];
  private refreshTimer?: ReturnType<typeof setTimeout>;
  private redrawTimer?: ReturnType<typeof setTimeout>;
  private refreshing?: Promise<void>;
  private readonly notified = new Set<number>();

  constructor(private readonly context: vscode.ExtensionContext) {
    this.jobs = workerJobs(context.asAbsolutePath('dist/panel-worker.cjs'));
    this.manager = new RunManager((req, h) => {
      const child = startTraining(
        { type: 'start', experimentFile: req.experimentFile, resume: req.resume, resumeFrom: req.resumeFrom },
        { onEvent: h.onEvent, onError: h.onError, onStderr: h.onOutput },
        { childPath: context.asAbsolutePath('dist/child.cjs'), detached: true },
      );
      return { pid: child.child.pid, exited: child.exited, stop: child.stop, kill: () => child.child.kill('SIGKILL') };
    }, { maxConcurrent: () => config().maxConcurrentRuns });
    this.status = new StatusBar();
    this.view = vscode.window.createTreeView('finetune.experiments', { treeDataProvider: this.tree, showCollapseAll: true });
    context.subscriptions.push(this.output, this.view, this.status, { dispose: () => this.manager.dispose() }, { dispose: () => this.jobs.dispose() });

    const seen = new Map<number, string>();
    this.manager.onDidChange((run) => {
      this.status.update(this.manager.runs());
      // Progress redraws the tree from memory; a new status or folder reads the disk again.
      const key = `${run.status}:${run.runDir}`;
      if (seen.get(run.id) !== key) {
        seen.set(run.id, key);
        this.scheduleRefresh(100);
      } else {
        this.scheduleRedraw();
      }
      this.notify(run);
    });
    this.manager.onEvent(({ run, event }) => {
      if (event.type === 'log') this.output.appendLine(`[${runLabel(run.runDir, run.request.label)}] ${event.level}: ${event.message}`);
    });

    const watcher = vscode.workspace.createFileSystemWatcher('**/{run.json,experiment.json,*.experiment.json,.finetune/experiments/*.json}');
    watcher.onDidCreate(() => this.scheduleRefresh(300));
    watcher.onDidChange(() => this.scheduleRefresh(1000));
    watcher.onDidDelete(() => this.scheduleRefresh(300));
    context.subscriptions.push(watcher, vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('finetune') && this.scheduleRefresh(0)));
    this.registerCommands();
    void this.refresh().then(() => this.reattach());
  }

  // ---- discovery -------------------------------------------------------------------------------------------------

  private scheduleRefresh(ms: number): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh();
    }, ms);
  }

  private scheduleRedraw(): void {
    if (this.redrawTimer) return;
    this.redrawTimer = setTimeout(() => {
      this.redrawTimer = undefined;
      this.tree.setRoots(buildTree(this.experiments, this.records, this.manager.runs()));
    }, 500);
  }

  private async refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    this.refreshing = (async () => {
      try {
        const files = await vscode.workspace.findFiles(`{**/*.experiment.json,${config().experimentsFolder}/*.json}`, EXCLUDE, 500);
        this.experiments = await Promise.all(files.map((f) => readExperimentFile(f.fsPath)));
        const folders = new Set<string>(this.experiments.map((e) => e.output));
        for (const f of vscode.workspace.workspaceFolders ?? []) folders.add(path.resolve(f.uri.fsPath, config().runsFolder));
        const dirs = (await Promise.all([...folders].map(listRunDirs))).flat();
        this.records = (await Promise.all(dirs.map((d) => this.reader.read(d)))).filter((r): r is RunRecord => !!r);
        this.tree.setRoots(buildTree(this.experiments, this.records, this.manager.runs()));
      } catch (e) {
        this.output.error(`refreshing the experiment tree: ${(e as Error).message}`);
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /** Runs whose child outlived the last window (a reload) are followed again. */
  private reattach(): void {
    for (const r of this.records) {
      if (r.state?.status !== 'running' || this.manager.find(r.runDir)) continue;
      this.manager.attach(r.runDir, r.state, r.experimentFile ?? path.join(r.runDir, RUN_FILES.experiment), r.experiment);
      this.output.info(`re-attached to ${r.runDir} (pid ${r.state.pid})`);
    }
  }

  private notify(run: ManagedRun): void {
    if (this.notified.has(run.id) || run.attached && run.status !== 'failed') return;
    const name = runLabel(run.runDir, run.request.label);
    if (run.status === 'failed') {
      this.notified.add(run.id);
      this.output.error(`run ${run.runDir ?? run.request.label} failed: ${run.error}`);
      for (const line of run.log) this.output.appendLine(`  ${line}`);
      void vscode.window.showErrorMessage(`Fine-tune ${run.request.label} (${name}) failed: ${(run.error ?? 'unknown error').split('\n')[0]}`, 'Show log').then((a) => {
        if (a) this.showLog(run.runDir);
      });
    } else if (run.status === 'completed' || run.status === 'stopped') {
      this.notified.add(run.id);
      // Read the run's last evals first, so the message and the tree agree.
      void this.refresh().then(async () => {
        const rec = this.records.find((r) => r.runDir === run.runDir);
        const best = formatEval(bestEval(rec?.evals ?? []));
        const a = await vscode.window.showInformationMessage(`Fine-tune ${run.request.label} (${name}) ${run.status} at step ${run.step}${best ? `, best ${best}` : ''}.`, 'Open panel');
        if (a && run.runDir) this.openPanel({ section: 'curves', runDirs: [run.runDir] });
      });
    }
  }

  // ---- commands --------------------------------------------------------------------------------------------------

  private registerCommands(): void {
    const reg = (id: string, fn: (...args: never[]) => unknown) => this.context.subscriptions.push(vscode.commands.registerCommand(id, async (...args: never[]) => {
      try {
        await fn(...args);
      } catch (e) {
        this.output.error(`${id}: ${(e as Error).stack ?? e}`);
        void vscode.window.showErrorMessage(`Fine-tune: ${(e as Error).message}`);
      }
    }));
    reg('finetune.fineTuneModel', () => this.fineTune({}));
    reg('finetune.fineTuneThisModel', (uri: vscode.Uri) => this.fineTune({ model: uri?.fsPath }));
    reg('finetune.fineTuneWithDataset', (uri: vscode.Uri) => this.fineTune({ dataset: uri?.fsPath }));
    reg('finetune.previewDataset', (uri?: vscode.Uri) => this.previewDataset(uri));
    reg('finetune.inspectModel', (uri?: vscode.Uri) => this.inspectModel(uri));
    reg('finetune.runExperiment', (arg?: vscode.Uri | ExperimentNode) => this.runExperimentFile(arg));
    reg('finetune.openPanel', (node?: TreeNode) => this.openPanelFor(node));
    reg('finetune.stopRun', (node?: RunNode) => this.stop(node));
    reg('finetune.resumeRun', (node?: RunNode) => this.resume(node));
    reg('finetune.resumeFromCheckpoint', (node?: CheckpointNode) => this.resumeFromCheckpoint(node));
    reg('finetune.compareWith', (node?: RunNode | CheckpointNode) => this.compareWith(node));
    reg('finetune.exportModel', (node?: RunNode | CheckpointNode) => this.exportModel(node));
    reg('finetune.revealRun', (node?: TreeNode) => this.reveal(node));
    reg('finetune.deleteRun', (node?: RunNode) => this.deleteRun(node));
    reg('finetune.showLog', (node?: RunNode) => this.showLog(node?.runDir));
    reg('finetune.refresh', () => this.refresh());
  }

  private trusted(): boolean {
    if (vscode.workspace.isTrusted) return true;
    void vscode.window.showWarningMessage(
      'Training is disabled in an untrusted workspace: it runs the model and reads the data of this folder in a training process. Preview and Inspect still work.',
      'Manage Workspace Trust',
    ).then((a) => a && vscode.commands.executeCommand('workbench.trust.manage'));
    return false;
  }

  private flowEnv(root: string): FlowEnv {
    const c = config();
    return {
      workspaceRoot: root,
      experimentsDir: path.resolve(root, c.experimentsFolder),
      runsDir: path.resolve(root, c.runsFolder),
      defaultBatchSize: c.defaultBatchSize,
      exists: (f) => fs.existsSync(f),
      findModels: async () => (await vscode.workspace.findFiles('**/*.onnx', EXCLUDE_WITH_RUNS, 200)).map((u) => u.fsPath).sort(),
      findDatasets: async () => {
        const [files, images] = await Promise.all([
          vscode.workspace.findFiles(DATA_GLOB, EXCLUDE_WITH_RUNS, 200),
          vscode.workspace.findFiles(IMAGE_GLOB, EXCLUDE_WITH_RUNS, 2000),
        ]);
        return [...imageDatasets(images), ...files.map((u) => u.fsPath).filter((f) => !/(^|[/\\])(LICENSE|README)[^/\\]*$/i.test(f))].sort();
      },
      browse: async (kind) => {
        const picked = await vscode.window.showOpenDialog({
          defaultUri: vscode.Uri.file(root), canSelectMany: false, canSelectFolders: kind === 'dataset', canSelectFiles: true,
          filters: kind === 'model' ? { 'ONNX models': ['onnx'] } : undefined, title: kind === 'model' ? 'Pretrained ONNX model' : 'Training data',
        });
        return picked?.[0]?.fsPath;
      },
      inspect: async (model) => vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Inspecting ${path.basename(model)}` }, () => this.jobs.run({ kind: 'inspect', model })),
      preview: async (file) => vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Scanning ${path.basename(file)}` }, () => this.jobs.run({ kind: 'preview', file, opts: {} })),
    };
  }

  private async fineTune(given: { model?: string; dataset?: string }): Promise<void> {
    if (!this.trusted()) return;
    const root = workspaceRoot(given.model ?? given.dataset);
    if (!root) {
      void vscode.window.showWarningMessage('Open a folder first: experiments and runs are written into the workspace.');
      return;
    }
    const result = await fineTuneFlow(vscodePrompter, this.flowEnv(root), given);
    if (!result) return;
    const threads = config().threads;
    if (threads > 0) result.spec.threads = threads;
    await fs.promises.mkdir(path.dirname(result.experimentFile), { recursive: true });
    await writeJsonAtomic(result.experimentFile, result.spec);
    this.output.info(`wrote ${result.experimentFile}`);
    if (result.custom) {
      await vscode.window.showTextDocument(vscode.Uri.file(result.experimentFile), { preview: false, viewColumn: vscode.ViewColumn.One });
      this.openPanel({ section: 'model', experimentFile: result.experimentFile });
      return;
    }
    this.start({ experimentFile: result.experimentFile, label: String(result.spec.name) });
  }

  /** Queues a run and shows its set-up (graph compile, data scan) as a cancellable notification. */
  private start(request: StartRequest): ManagedRun {
    const run = this.manager.enqueue(request);
    void vscode.commands.executeCommand('finetune.experiments.focus');
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Fine-tune ${request.label}`, cancellable: true }, (progress, token) =>
      new Promise<void>((resolve) => {
        const say = () => progress.report({ message: run.status === 'queued' ? 'queued behind the running run…' : 'setting up: reading the model and data, compiling the training graph…' });
        say();
        token.onCancellationRequested(() => this.manager.stop(run));
        const sub = this.manager.onDidChange((r) => {
          if (r !== run) return;
          if (run.status === 'queued' || run.status === 'starting') return say();
          sub.dispose();
          resolve();
        });
      }));
    return run;
  }

  private async runExperimentFile(arg?: vscode.Uri | ExperimentNode): Promise<void> {
    if (!this.trusted()) return;
    const file = arg instanceof vscode.Uri ? arg.fsPath : arg?.file ?? vscode.window.activeTextEditor?.document.uri.fsPath;
    if (!file) return;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
    if (doc?.isDirty) await doc.save();
    const exp = await readExperimentFile(file);
    if (exp.problem) throw new Error(`${file}: ${exp.problem}`);
    this.start({ experimentFile: file, label: exp.name });
  }

  private async previewDataset(uri?: vscode.Uri): Promise<void> {
    const file = uri?.fsPath ?? (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: true, title: 'Dataset to preview' }))?.[0]?.fsPath;
    if (file) this.openPanel({ section: 'preview', file });
  }

  private async inspectModel(uri?: vscode.Uri): Promise<void> {
    const file = uri?.fsPath ?? (await vscode.window.showOpenDialog({ filters: { 'ONNX models': ['onnx'] }, title: 'Model to inspect' }))?.[0]?.fsPath;
    if (!file) return;
    const text = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Inspecting ${path.basename(file)}…` }, () => this.jobs.run({ kind: 'inspectText', model: file }));
    const doc = await vscode.workspace.openTextDocument({ content: text, language: 'plaintext' });
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  private panelDeps(): PanelDeps {
    return {
      onRunEvent: (listener) => this.manager.onEvent(({ run, event }) => run.runDir && listener(run.runDir, event)),
      listRuns: async () => this.records.map((r) => ({
        runDir: r.runDir, label: `${r.experiment} · ${runLabel(r.runDir, r.runDir)}`,
        // As the tree matches a run to its experiment: the file the run names, else the experiment of that name.
        experimentFile: r.experimentFile ?? this.experiments.find((e) => e.name === r.experiment)?.file,
        status: this.manager.find(r.runDir)?.status === 'running' ? 'running' : r.state?.status ?? 'failed',
      })),
      log: (m) => this.output.info(m),
      jobs: this.jobs,
    };
  }

  private openPanel(view?: PanelView): void {
    PanelController.show(this.context, this.panelDeps(), view);
  }

  private openPanelFor(arg?: TreeNode): void {
    // A click on a run row passes nothing (see ExperimentTreeProvider): it is the selected row.
    const node = arg ?? (this.view.selection.length === 1 && this.view.selection[0].kind === 'run' ? this.view.selection[0] : undefined);
    if (node?.kind === 'run' && node.runDir) return this.openPanel({ section: 'curves', runDirs: [node.runDir] });
    if (node?.kind === 'experiment' && node.file) return this.openPanel({ section: 'model', experimentFile: node.file });
    if (node?.kind === 'checkpoint') return this.openPanel({ section: 'curves', runDirs: [node.runDir] });
    const active = this.manager.runs().filter((r) => isActive(r) && r.runDir).map((r) => r.runDir!);
    this.openPanel(active.length ? { section: 'curves', runDirs: active } : undefined);
  }

  private liveOrAttached(node: RunNode): ManagedRun | undefined {
    if (node.live) return node.live;
    if (node.runDir && node.record?.state?.status === 'running') {
      return this.manager.attach(node.runDir, node.record.state, node.experimentFile ?? path.join(node.runDir, RUN_FILES.experiment), node.experiment);
    }
    return undefined;
  }

  private async stop(node?: RunNode): Promise<void> {
    const run = node ? this.liveOrAttached(node) : this.manager.runs().find(isActive);
    if (!run) return;
    if (run.status === 'stopping') {
      const a = await vscode.window.showWarningMessage('The run is finishing its step and writing a checkpoint. Kill it now, without a checkpoint?', { modal: true }, 'Kill');
      if (a !== 'Kill') return;
    }
    this.manager.stop(run);
  }

  private experimentFileOf(node: RunNode | CheckpointNode): string | undefined {
    const runDir = node.runDir;
    const rec = this.records.find((r) => r.runDir === runDir);
    const file = (node.kind === 'run' ? node.experimentFile : undefined) ?? rec?.experimentFile;
    if (file && fs.existsSync(file)) return file;
    void vscode.window.showErrorMessage(`Cannot resume ${runLabel(runDir, runDir ?? '')}: its experiment file ${file ?? '(unknown)'} no longer exists.`);
    return undefined;
  }

  private resume(node?: RunNode): void {
    if (!node?.runDir || !this.trusted()) return;
    const file = this.experimentFileOf(node);
    if (file) this.start({ experimentFile: file, resume: node.runDir, label: node.experiment });
  }

  private resumeFromCheckpoint(node?: CheckpointNode): void {
    if (!node || !this.trusted()) return;
    const file = this.experimentFileOf(node);
    if (!file) return;
    const label = this.records.find((r) => r.runDir === node.runDir)?.experiment ?? path.basename(node.runDir);
    this.start(node.latest ? { experimentFile: file, resume: node.runDir, label } : { experimentFile: file, resumeFrom: node.dir, label });
  }

  private async compareWith(node?: RunNode | CheckpointNode): Promise<void> {
    if (!node?.runDir) return;
    const latestOf = (r: RunRecord) => r.checkpoints.at(-1)?.dir;
    const a = node.kind === 'checkpoint' ? node.dir : latestOf(this.records.find((r) => r.runDir === node.runDir)!);
    if (!a) {
      void vscode.window.showInformationMessage('This run has no checkpoint yet.');
      return;
    }
    // Checkpoints of the same model only: a diff across models has no meaning.
    const model = this.records.find((r) => r.runDir === node.runDir)?.model;
    const items = this.records.filter((r) => r.model === model).flatMap((r) => r.checkpoints.filter((c) => c.dir !== a).map((c) => ({
      label: `step ${c.step}`, description: `${r.experiment} · ${runLabel(r.runDir, r.runDir)}`, dir: c.dir,
    })));
    if (!items.length) {
      void vscode.window.showInformationMessage('There is no other checkpoint to compare with.');
      return;
    }
    const b = await vscode.window.showQuickPick(items, { title: 'Compare with…', placeHolder: 'Pick the checkpoint to compare with', matchOnDescription: true });
    if (b) this.openPanel({ section: 'diff', a, b: b.dir });
  }

  private async exportModel(node?: RunNode | CheckpointNode): Promise<void> {
    if (!node?.runDir) return;
    const runDir = node.runDir;
    const name = node.kind === 'checkpoint' ? `${path.basename(runDir)}-step-${node.step}.onnx` : `${path.basename(runDir)}.onnx`;
    const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(path.join(workspaceRoot(runDir) ?? runDir, name)), filters: { 'ONNX models': ['onnx'] }, title: 'Export fine-tuned model' });
    if (!target) return;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Exporting ${path.basename(target.fsPath)}…` }, async () => {
      if (node.kind === 'checkpoint') await this.jobs.run({ kind: 'exportCheckpoint', runDir, checkpointDir: node.dir, out: target.fsPath });
      else await fs.promises.copyFile(path.join(runDir, RUN_FILES.model), target.fsPath);
    });
    const a = await vscode.window.showInformationMessage(`Exported ${path.basename(target.fsPath)}: a plain ONNX model that runs in any ONNX Runtime session.`, 'Reveal');
    if (a) await vscode.commands.executeCommand('revealInExplorer', target);
  }

  private async reveal(node?: TreeNode): Promise<void> {
    const p = node?.kind === 'experiment' ? node.file : node?.kind === 'checkpoint' ? node.dir : node?.runDir;
    if (p) await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(p));
  }

  private async deleteRun(node?: RunNode): Promise<void> {
    if (!node?.runDir) return;
    if (node.live && isActive(node.live)) {
      void vscode.window.showWarningMessage('Stop the run before deleting it.');
      return;
    }
    const n = node.record?.checkpoints.length ?? 0;
    const a = await vscode.window.showWarningMessage(`Delete run ${runLabel(node.runDir, node.runDir)} of ${node.experiment}, with its ${n} checkpoint${n === 1 ? '' : 's'} and metrics? This cannot be undone.`, { modal: true }, 'Delete');
    if (a !== 'Delete') return;
    await fs.promises.rm(node.runDir, { recursive: true, force: true });
    this.reader.forget(node.runDir);
    await this.refresh();
  }

  private showLog(runDir?: string): void {
    const log = runDir && path.join(runDir, RUN_FILES.log);
    if (log && fs.existsSync(log)) void vscode.window.showTextDocument(vscode.Uri.file(log), { preview: true });
    else this.output.show(true);
  }
}

export function activate(context: vscode.ExtensionContext): void {
  new FineTune(context);
}

export function deactivate(): void {
  // Training children are detached: they finish their runs and the next window re-attaches to them.
}
