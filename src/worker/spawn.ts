import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunEvent } from '../core/experiment/events.js';
import { isChildToHost, type HostToChild } from './protocol.js';

export interface TrainingProcess {
  child: ChildProcess;
  /** Resolves with the exit code once the child is gone. */
  exited: Promise<number>;
  stop(): void;
}

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'child.js');

/** Forks the training child for one experiment and relays its events; never blocks the caller's event loop. */
export function startTraining(
  start: Extract<HostToChild, { type: 'start' }>,
  handlers: { onEvent(e: RunEvent): void; onError(message: string, userError: boolean): void; onStderr?(text: string): void },
): TrainingProcess {
  const child = fork(CHILD, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
  child.stderr?.on('data', (d) => handlers.onStderr?.(String(d)));
  child.on('message', (m) => {
    if (!isChildToHost(m)) return;
    if (m.type === 'ready') child.send(start);
    else if (m.type === 'event') handlers.onEvent(m.event);
    else handlers.onError(m.message, m.userError);
  });
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  return { child, exited, stop: () => child.connected && child.send({ type: 'stop' } satisfies HostToChild) };
}
