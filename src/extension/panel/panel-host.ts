// The host side of the panel without VS Code: validates what the webview sends, keeps each section's state, and
// sends state after the webview's "ready" (again after every reload of the webview). The controller wires it to a
// WebviewPanel; tests drive it directly.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { listCheckpoints } from '../../core/checkpoints/checkpoint.js';
import { judgeRunState, readRunState, RUN_FILES } from '../../core/experiment/run-dir.js';
import type { ParamInfo } from '../../core/module-tree.js';
import type { ColumnSpec } from '../../core/data/types.js';
import type { CurveRunInfo } from '../../contracts/curves.js';
import type { LrGroup, ModelToHost } from '../../contracts/model.js';
import { parseToHost, type PanelView, type Section, type ToHost, type ToWebview } from '../../contracts/panel.js';
import type { PickableRole } from '../../contracts/preview.js';
import type { PanelDeps } from './deps.js';
import { readExperimentFile, schemaHas, writeFreezing, type ExperimentFile } from './experiment-file.js';
import { findBlocks, findHead, frozenSet, globsFor, presetFrozen, toggled, trainableCount } from '../../core/freezing.js';
import type { PanelJobs } from './jobs.js';
import { MetricsTail } from '../runs/metrics-tail.js';

/** What only the editor can do. */
export interface HostUi {
  /** Asks where to save and writes the file; false when the user cancelled. */
  saveFile(suggestedName: string, data: Uint8Array | string): Promise<boolean>;
}

type RunStatusName = CurveRunInfo['status'];
interface ShownRun { tail: MetricsTail; status: RunStatusName; label: string; pumping?: Promise<void>; again?: boolean }

/** How often shown runs are polled for new metrics rows (runs trained elsewhere have no events). */
export const POLL_MS = 1000;

export class PanelHost {
  private ready = false;
  private section: Section = 'curves';
  private preview?: { file: string; picked: Record<string, PickableRole> };
  private model?: { file: string; ef?: ExperimentFile; params?: ParamInfo[]; modelPath?: string };
  private runs = new Map<string, ShownRun>();
  private diff?: { a: string; b: string };
  private timer?: ReturnType<typeof setInterval>;
  private readonly subscription: { dispose(): void };

  constructor(
    private readonly post: (m: ToWebview) => void,
    private readonly deps: PanelDeps,
    private readonly jobs: PanelJobs,
    private readonly ui: HostUi,
  ) {
    this.subscription = deps.onRunEvent((runDir) => {
      if (this.runs.has(runDir)) void this.pump(runDir);
    });
  }

  /** Shows a section (and, with a view, its content). Before "ready" it is only remembered. */
  async show(view?: PanelView | { section: Section }): Promise<void> {
    if (view) {
      this.section = view.section;
      if ('file' in view) this.preview = { file: view.file, picked: {} };
      if ('experimentFile' in view) this.model = { file: view.experimentFile };
      if ('runDirs' in view) this.setShownRuns(view.runDirs, !this.ready);
      if ('a' in view) this.diff = { a: view.a, b: view.b };
    }
    if (!this.ready) return;
    this.post({ type: 'panel/show', section: this.section });
    if (view && 'file' in view) await this.sendPreview();
    if (view && 'experimentFile' in view) await this.sendModel();
    if (view && 'runDirs' in view) await this.sendCurves();
    if (view && 'a' in view) await this.sendDiff();
  }

  /** A message from the webview: validated, then handled; a bad one is logged and answered with a notice. */
  async receive(raw: unknown): Promise<void> {
    let m: ToHost;
    try {
      m = parseToHost(raw);
    } catch (e) {
      this.deps.log(`panel: ignored a bad message: ${(e as Error).message}`);
      return;
    }
    try {
      await this.handle(m);
    } catch (e) {
      this.deps.log(`panel: ${m.type}: ${(e as Error).message}`);
      this.post({ type: 'panel/notice', level: 'error', message: (e as Error).message });
    }
  }

  private async handle(m: ToHost): Promise<void> {
    switch (m.type) {
      case 'panel/ready':
        return this.onReady();
      case 'panel/selected':
        this.section = m.section;
        return;
      case 'preview/setRole':
        if (!this.preview) return;
        for (const [c, r] of Object.entries(this.preview.picked)) if (r === m.role && r !== 'ignore' && c !== m.column) delete this.preview.picked[c];
        this.preview.picked[m.column] = m.role;
        return this.sendPreview();
      case 'model/toggle':
      case 'model/preset':
      case 'model/setGroups':
      case 'model/setUnfreeze':
        return this.editModel(m);
      case 'curves/mixRetention':
        return this.mixRetention(m.runDir, m.mix);
      case 'curves/show':
        this.setShownRuns(m.runDirs, false);
        return this.sendCurves();
      case 'curves/export': {
        const data = m.format === 'png' ? Buffer.from(m.data.replace(/^data:image\/png;base64,/, ''), 'base64') : m.data;
        await this.ui.saveFile(m.name, data);
        return;
      }
      case 'diff/pick':
        this.diff = { a: m.a, b: m.b };
        return this.sendDiff();
    }
  }

  /** The webview (re)started: it holds nothing, so every section's state goes again, curves from their start. */
  private async onReady(): Promise<void> {
    this.ready = true;
    this.post({ type: 'panel/show', section: this.section });
    await Promise.all([
      this.preview && this.sendPreview(),
      this.model && this.sendModel(),
      this.sendCurves(),
      this.sendDiff(),
    ]);
  }

  // ---- preview ----

  private async sendPreview(): Promise<void> {
    const p = this.preview!;
    this.post({ type: 'preview/loading', file: p.file });
    const columns: ColumnSpec = {};
    const ignore: string[] = [];
    for (const [c, r] of Object.entries(p.picked)) {
      if (r === 'ignore') ignore.push(c);
      else columns[r === 'text_pair' ? 'textPair' : r] = c;
    }
    try {
      const preview = await this.jobs.run({ kind: 'preview', file: p.file, opts: { columns, ignore } });
      if (this.preview !== p) return;
      this.post({ type: 'preview/state', file: p.file, picked: p.picked, ...preview });
    } catch (e) {
      this.post({ type: 'preview/error', file: p.file, message: (e as Error).message });
    }
  }

  // ---- model and freezing ----

  /** Re-reads the experiment file (the controller calls this when the file changes on disk) and sends the state. */
  async sendModel(): Promise<void> {
    const m = this.model;
    if (!m || !this.ready) return;
    try {
      m.ef = await readExperimentFile(m.file);
      if (m.modelPath !== m.ef.modelPath || !m.params) {
        m.params = await this.jobs.run({ kind: 'params', model: m.ef.modelPath });
        m.modelPath = m.ef.modelPath;
      }
      if (this.model !== m) return;
      this.post(modelState(m.ef, m.params));
    } catch (e) {
      this.post({ type: 'model/error', experimentFile: m.file, message: (e as Error).message });
    }
  }

  get experimentFile(): string | undefined {
    return this.model?.file;
  }

  private async editModel(msg: ModelToHost): Promise<void> {
    const m = this.model;
    if (!m?.ef || !m.params) throw new Error('no experiment is open in the panel');
    const ef = await readExperimentFile(m.file); // edit what is on disk now, not what the panel last saw
    const params = m.params;
    const frozen = frozenSet(params, ef.spec.freeze);
    let groups: LrGroup[] | undefined;
    let next: Set<string> | undefined;
    let unfreeze: { every: number; order: string[][] } | null | undefined;
    if (msg.type === 'model/toggle') next = toggled(params, frozen, msg.kind, msg.path, msg.frozen);
    else if (msg.type === 'model/preset') next = presetFrozen(params, msg.preset, msg.blocks ?? 1);
    else if (msg.type === 'model/setGroups') groups = msg.groups;
    else unfreeze = msg.every > 0 ? { every: msg.every, order: unfreezeOrder(params) } : null;
    await writeFreezing(ef, { freeze: next && globsFor(params, ef.spec.freeze, next), groups, unfreeze });
    await this.sendModel();
  }

  /** The forgetting remedy: `retention.mix` in the experiment file the tree says made this run. */
  private async mixRetention(runDir: string, mix: number): Promise<void> {
    if (!(mix >= 0 && mix < 1)) throw new Error(`mix must be a share between 0 and 1, not ${mix}`);
    const run = (await this.deps.listRuns()).find((r) => r.runDir === runDir);
    if (!run?.experimentFile) throw new Error(`no experiment file is known for ${runDir}`);
    await writeFreezing(await readExperimentFile(run.experimentFile), { mix });
    this.post({ type: 'panel/notice', level: 'info', message: `${run.experimentFile}: retention.mix = ${mix}; the next run of this experiment mixes ${Math.round(mix * 100)}% source data into training.` });
    if (this.model?.file === run.experimentFile) await this.sendModel();
  }

  // ---- curves ----

  private setShownRuns(runDirs: string[], quiet: boolean): void {
    for (const d of [...this.runs.keys()]) {
      if (!runDirs.includes(d)) {
        this.runs.delete(d);
        if (!quiet && this.ready) this.post({ type: 'curves/remove', runDir: d });
      }
    }
    for (const d of runDirs) if (!this.runs.has(d)) this.runs.set(d, { tail: new MetricsTail(d), status: 'unknown', label: path.basename(d) });
    if (this.runs.size && !this.timer) {
      this.timer = setInterval(() => this.poll(), POLL_MS);
      this.timer.unref?.();
    }
  }

  /** The run list, then every shown run from the start of its metrics. */
  private async sendCurves(): Promise<void> {
    const available = await this.deps.listRuns().catch(() => []);
    this.post({
      type: 'curves/runs',
      available: available.map((r) => ({ runDir: r.runDir, label: r.label, status: r.status })),
      shown: [...this.runs.keys()],
    });
    const labels = new Map(available.map((r) => [r.runDir, r.label]));
    await Promise.all([...this.runs.keys()].map(async (runDir) => {
      const r = this.runs.get(runDir)!;
      r.label = labels.get(runDir) ?? path.basename(runDir);
      this.post({ type: 'curves/reset', runDir, label: r.label, ...(await readRunExperiment(runDir)), ...(schemaHas('retention.mix') ? { mixSupported: true } : {}) });
      r.status = 'unknown';
      r.tail = new MetricsTail(runDir);
      await this.pump(runDir);
    }));
  }

  private poll(): void {
    for (const [runDir, r] of this.runs) if (r.status === 'running' || r.status === 'unknown') void this.pump(runDir);
  }

  /** Sends the rows added since the last read, and the run's status when it changed. One pump per run at a time. */
  pump(runDir: string): Promise<void> {
    const r = this.runs.get(runDir);
    if (!r || !this.ready) return Promise.resolve();
    if (r.pumping) {
      r.again = true;
      return r.pumping;
    }
    r.pumping = (async () => {
      try {
        do {
          r.again = false;
          for (;;) {
            const read = await r.tail.read();
            if (this.runs.get(runDir) !== r) return;
            if (read.restarted) this.post({ type: 'curves/reset', runDir, label: r.label, ...(await readRunExperiment(runDir)) });
            if (read.rows.length || read.skipped) this.post({ type: 'curves/append', runDir, rows: read.rows, ...(read.skipped ? { skipped: read.skipped } : {}) });
            if (!read.more) break;
          }
          const state = readRunState(runDir);
          const status: RunStatusName = state ? judgeRunState(state).status : 'unknown';
          if (status !== r.status) {
            r.status = status;
            this.post({ type: 'curves/status', runDir, status });
          }
        } while (r.again);
      } catch (e) {
        this.deps.log(`panel: ${runDir}: ${(e as Error).message}`);
      } finally {
        r.pumping = undefined;
      }
    })();
    return r.pumping;
  }

  // ---- checkpoint diff ----

  private async sendDiff(): Promise<void> {
    const checkpoints = [];
    for (const run of await this.deps.listRuns().catch(() => [])) {
      for (const c of await listCheckpoints(run.runDir).catch(() => [])) checkpoints.push({ dir: c.dir, label: `${run.label} @ step ${c.step}`, step: c.step });
    }
    this.post({ type: 'diff/options', checkpoints, a: this.diff?.a, b: this.diff?.b });
    const d = this.diff;
    if (!d) return;
    this.post({ type: 'diff/loading', a: d.a, b: d.b });
    try {
      const result = await this.jobs.run({ kind: 'diff', a: d.a, b: d.b });
      if (this.diff === d) this.post(result);
    } catch (e) {
      if (this.diff === d) this.post({ type: 'diff/error', message: (e as Error).message });
    }
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.subscription.dispose();
    this.runs.clear();
  }
}

function modelState(ef: ExperimentFile, params: ParamInfo[]): ToWebview {
  const frozen = frozenSet(params, ef.spec.freeze);
  return {
    type: 'model/state',
    experimentFile: ef.file,
    modelFile: ef.modelPath,
    params: params.map((p) => ({ name: p.name, path: p.path, module: p.module, size: p.size, dims: p.dims, frozen: frozen.has(p.name) })),
    freeze: ef.spec.freeze,
    groups: (ef.spec.groups ?? []).map((g) => ({ match: g.match, lrScale: g.lrScale, weightDecay: g.weightDecay })),
    total: params.reduce((n, p) => n + p.size, 0),
    trainable: trainableCount(params, frozen),
    blocks: findBlocks(params),
    head: findHead(params),
    lr: ef.spec.optimizer.lr,
    unfreeze: (ef.raw.unfreeze as { every: number; order: (string | string[])[] } | undefined) && {
      every: (ef.raw.unfreeze as { every: number }).every,
      order: (ef.raw.unfreeze as { order: (string | string[])[] }).order.map((o) => [o].flat()),
    },
    unfreezeSupported: schemaHas('unfreeze'),
  };
}

/** Thawing order for gradual unfreezing: the frozen blocks top-down, one stage each (the head already trains). */
export function unfreezeOrder(params: ParamInfo[]): string[][] {
  return findBlocks(params).reverse().map((b) => [`${b}.*`]);
}

/** Task and retention split name of a run, from its experiment.json (classification when unreadable). */
async function readRunExperiment(runDir: string): Promise<{ task: 'classification' | 'regression' | 'causal-lm'; retention?: string }> {
  try {
    const e = JSON.parse(await readFile(path.join(runDir, RUN_FILES.experiment), 'utf8'));
    const task = ['classification', 'regression', 'causal-lm'].includes(e.task) ? e.task : 'classification';
    return { task, ...(e.retention ? { retention: typeof e.retention.name === 'string' ? e.retention.name : 'retention' } : {}) };
  } catch {
    return { task: 'classification' };
  }
}
