// The host's runs: a queue of training children, their live state, stop/resume, crash isolation and re-attaching to
// runs whose child outlived a window reload. No `vscode` import: the extension wires it to the UI.
import type { RunEvent } from '../../core/experiment/events.js';
import { judgeRunState, readRunState, writeRunState, type RunState } from '../../core/experiment/run-dir.js';
import { Emitter } from './emitter.js';
import { MetricsTail } from './metrics-tail.js';

export type LiveStatus = 'queued' | 'starting' | 'running' | 'stopping' | 'completed' | 'stopped' | 'failed' | 'interrupted';

export interface StartRequest {
  experimentFile: string;
  /** Continue this run folder from its latest checkpoint. */
  resume?: string;
  /** Continue from this checkpoint folder (a later one forks a new run folder). */
  resumeFrom?: string;
  /** What the UI calls the run until its folder exists. */
  label: string;
}

export interface ChildHandlers {
  onEvent(e: RunEvent): void;
  onError(message: string, userError: boolean): void;
  onOutput(text: string): void;
}

/** A started training child, as the manager needs it (`startTraining` in src/worker/spawn.ts gives this). */
export interface ChildHandle {
  readonly pid: number | undefined;
  readonly exited: Promise<number>;
  /** Graceful: finish the step, checkpoint, exit. */
  stop(): void;
  /** Now, without a checkpoint. */
  kill(): void;
}

export type Launcher = (req: StartRequest, handlers: ChildHandlers) => ChildHandle;

export interface ManagedRun {
  readonly id: number;
  readonly request: StartRequest;
  status: LiveStatus;
  runDir?: string;
  pid?: number;
  step: number;
  totalSteps?: number;
  loss?: number;
  /** Exponential average of seconds per step, for the ETA. */
  secondsPerStep?: number;
  error?: string;
  userError?: boolean;
  /** The last lines the child printed or logged, for the crash notification. */
  log: string[];
  /** Re-attached from disk after a window reload: no IPC, progress from run.json and metrics.jsonl. */
  attached: boolean;
}

export interface RunManagerOptions {
  maxConcurrent(): number;
  /** How often re-attached runs are polled (ms). */
  pollMs?: number;
  /** Sends a signal to a re-attached run's process (tests replace it). */
  signal?(pid: number, signal: NodeJS.Signals): void;
}

const LOG_LINES = 40;
const ACTIVE: LiveStatus[] = ['starting', 'running', 'stopping'];

export function isActive(run: ManagedRun): boolean {
  return ACTIVE.includes(run.status);
}

/** Seconds left, from the average step time; undefined until a step has been timed. */
export function etaSeconds(run: ManagedRun): number | undefined {
  if (run.secondsPerStep === undefined || run.totalSteps === undefined) return undefined;
  return Math.max(0, run.totalSteps - run.step) * run.secondsPerStep;
}

export class RunManager {
  private readonly all: ManagedRun[] = [];
  private readonly children = new Map<number, ChildHandle>();
  private readonly pollers = new Map<number, ReturnType<typeof setInterval>>();
  private nextId = 1;
  private readonly changed = new Emitter<ManagedRun>();
  private readonly events = new Emitter<{ run: ManagedRun; event: RunEvent }>();
  /** Fires whenever a run's status or progress changes. */
  readonly onDidChange = this.changed.event;
  /** Every event relayed from a child this window started. */
  readonly onEvent = this.events.event;

  constructor(private readonly launch: Launcher, private readonly opts: RunManagerOptions) {}

  runs(): readonly ManagedRun[] {
    return this.all;
  }

  find(runDir: string): ManagedRun | undefined {
    return this.all.findLast((r) => r.runDir === runDir);
  }

  /** Queues a run; it starts at once when fewer than `maxConcurrent` are active. */
  enqueue(request: StartRequest): ManagedRun {
    const run: ManagedRun = { id: this.nextId++, request, status: 'queued', step: 0, log: [], attached: false };
    this.all.push(run);
    this.changed.fire(run);
    this.pump();
    return run;
  }

  /** Stops a run: a queued one leaves the queue; a training one checkpoints and exits; asked twice, it is killed. */
  stop(run: ManagedRun): void {
    if (run.status === 'queued') {
      run.status = 'stopped';
      this.changed.fire(run);
      return;
    }
    if (!isActive(run)) return;
    const force = run.status === 'stopping';
    if (run.attached) {
      if (run.pid) this.sendSignal(run.pid, force ? 'SIGKILL' : 'SIGTERM');
    } else {
      const child = this.children.get(run.id);
      if (force) child?.kill();
      else child?.stop();
    }
    run.status = 'stopping';
    this.changed.fire(run);
  }

  /** Takes over a run found on disk whose child still trains (started by an earlier window or the CLI). */
  attach(runDir: string, state: RunState, experimentFile: string, label = runDir): ManagedRun {
    const existing = this.find(runDir);
    if (existing && isActive(existing)) return existing;
    const run: ManagedRun = {
      id: this.nextId++, request: { experimentFile, label }, status: 'running', runDir, pid: state.pid,
      step: state.step, totalSteps: state.totalSteps, loss: state.loss, log: [], attached: true,
    };
    this.all.push(run);
    const tail = new MetricsTail(runDir);
    let busy = false;
    // Progress only: the panel tails a re-attached run's metrics itself.
    const poll = async () => {
      if (busy) return;
      busy = true;
      try {
        let changed = false;
        for (let more = true; more;) {
          const read = await tail.read();
          for (const row of read.rows) {
            if (row.split !== undefined || row.loss === undefined) continue;
            this.progress(run, row.step, row.loss, row.seconds ?? 0);
            changed = true;
          }
          more = read.more;
        }
        const now = readRunState(runDir);
        const judged = now ? judgeRunState(now) : undefined;
        if (!judged || judged.status !== 'running') this.finishAttached(run, judged);
        else if (changed) this.changed.fire(run);
      } catch {
        // the folder went away: the next poll finds no run.json and ends the run
      } finally {
        busy = false;
      }
    };
    this.pollers.set(run.id, setInterval(() => void poll(), this.opts.pollMs ?? 2000));
    void poll();
    this.changed.fire(run);
    return run;
  }

  /** Stops polling; children keep training (they are detached) and a later window re-attaches. */
  dispose(): void {
    for (const t of this.pollers.values()) clearInterval(t);
    this.pollers.clear();
  }

  private finishAttached(run: ManagedRun, state: RunState | undefined): void {
    clearInterval(this.pollers.get(run.id));
    this.pollers.delete(run.id);
    run.status = state?.status === 'running' || !state ? 'interrupted' : state.status;
    run.step = state?.step ?? run.step;
    run.error = state?.error;
    this.changed.fire(run);
    this.pump();
  }

  private sendSignal(pid: number, signal: NodeJS.Signals): void {
    try {
      (this.opts.signal ?? ((p, s) => process.kill(p, s)))(pid, signal);
    } catch {
      // already gone: the next poll sees it
    }
  }

  private pump(): void {
    const limit = Math.max(1, this.opts.maxConcurrent());
    while (this.all.filter(isActive).length < limit) {
      const next = this.all.find((r) => r.status === 'queued');
      if (!next) return;
      this.start(next);
    }
  }

  private start(run: ManagedRun): void {
    run.status = 'starting';
    this.changed.fire(run);
    let done = false;
    let child: ChildHandle;
    try {
      child = this.launch(run.request, {
        onEvent: (event) => {
          this.apply(run, event);
          if (event.type === 'done') done = true;
          this.events.fire({ run, event });
        },
        onError: (message, userError) => {
          run.error ??= message;
          run.userError = userError;
        },
        onOutput: (text) => this.remember(run, text),
      });
    } catch (e) {
      run.status = 'failed';
      run.error = `could not start the training process: ${(e as Error).message}`;
      this.changed.fire(run);
      this.pump();
      return;
    }
    run.pid = child.pid;
    this.children.set(run.id, child);
    void child.exited.then(async (code) => {
      this.children.delete(run.id);
      if (!done || code !== 0) {
        run.error ??= `${exitReason(code)}${run.log.length ? `:\n${run.log.slice(-8).join('\n')}` : ''}`;
        if (run.runDir && run.pid !== undefined) await markFailed(run.runDir, run.pid, run.error);
        run.status = 'failed';
      }
      this.changed.fire(run);
      this.pump();
    });
  }

  private apply(run: ManagedRun, event: RunEvent): void {
    switch (event.type) {
      case 'start':
        run.runDir = event.runDir;
        run.pid = event.pid;
        run.totalSteps = event.totalSteps;
        run.step = event.resumedFrom ?? 0;
        if (run.status === 'starting') run.status = 'running';
        break;
      case 'step':
        this.progress(run, event.metric.step, event.metric.loss, event.metric.seconds);
        break;
      case 'log':
        this.remember(run, `${event.level}: ${event.message}`);
        break;
      case 'done':
        run.status = event.summary.status;
        run.step = event.summary.steps;
        break;
      default:
        break;
    }
    this.changed.fire(run);
  }

  private progress(run: ManagedRun, step: number, loss: number, seconds: number): void {
    run.step = step;
    run.loss = loss;
    run.secondsPerStep = run.secondsPerStep === undefined ? seconds : 0.9 * run.secondsPerStep + 0.1 * seconds;
  }

  private remember(run: ManagedRun, text: string): void {
    for (const line of text.split('\n')) if (line.trim()) run.log.push(line);
    if (run.log.length > LOG_LINES) run.log.splice(0, run.log.length - LOG_LINES);
  }
}

/** Why a child ended without finishing its run, from its exit code (128 + n: killed by signal n). */
export function exitReason(code: number): string {
  if (code === 137) return 'the training process was killed (SIGKILL: out of memory, or killed from outside)';
  if (code > 128) return `the training process was killed by signal ${code - 128}`;
  return `the training process exited with code ${code}`;
}

/** A child that died without writing its final status leaves run.json saying `running`: record the failure. */
export async function markFailed(runDir: string, pid: number, error: string): Promise<void> {
  const state = readRunState(runDir);
  if (!state || state.status !== 'running' || state.pid !== pid) return;
  try {
    await writeRunState(runDir, { ...state, status: 'failed', error, updatedAt: new Date().toISOString() });
  } catch {
    // the folder is gone or read-only: readers judge the dead pid as interrupted
  }
}
