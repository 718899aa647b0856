import { fork, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunEvent } from '../core/experiment/events.js';
import { isChildToHost, type HostToChild } from './protocol.js';

export interface TrainingProcess {
  child: ChildProcess;
  /** Resolves with the exit code once the child is gone; killed by a signal, 128 + its number (as a shell says). */
  exited: Promise<number>;
  /** Graceful: the child finishes its step, checkpoints and exits. */
  stop(): void;
}

export interface TrainingHandlers {
  onEvent(e: RunEvent): void;
  onError(message: string, userError: boolean): void;
  onStderr?(text: string): void;
}

export interface SpawnOptions {
  /** The child's script: the compiled `child.js` beside this file by default, the bundled `dist/child.cjs` in the extension. */
  childPath?: string;
  /** Own process group, so the run outlives a window reload and the host can re-attach to it from disk. */
  detached?: boolean;
}

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'child.js');

/** Forks the training child for one experiment and relays its events; never blocks the caller's event loop. */
export function startTraining(start: Extract<HostToChild, { type: 'start' }>, handlers: TrainingHandlers, opts: SpawnOptions = {}): TrainingProcess {
  const child = fork(opts.childPath ?? CHILD, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json', detached: opts.detached });
  child.stdout?.on('data', (d) => handlers.onStderr?.(String(d)));
  child.stderr?.on('data', (d) => handlers.onStderr?.(String(d)));
  child.on('message', (m) => {
    if (!isChildToHost(m)) return;
    if (m.type === 'ready') child.send({ ...start, detached: opts.detached });
    else if (m.type === 'event') handlers.onEvent(m.event);
    else handlers.onError(m.message, m.userError);
  });
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1))));
  return { child, exited, stop: () => child.connected && child.send({ type: 'stop' } satisfies HostToChild) };
}
