import type { RunEvent } from '../core/experiment/events.js';

/** Messages from the extension host to the training child process. */
export type HostToChild =
  | {
    type: 'start'; experimentFile: string; resume?: string; stopAfter?: number;
    /** Keep training when the host goes away (a window reload); the host re-attaches from the run folder. */
    detached?: boolean;
  }
  | { type: 'stop' };

/** Messages from the training child process to the host. */
export type ChildToHost =
  | { type: 'ready' }
  | { type: 'event'; event: RunEvent }
  | { type: 'error'; message: string; userError: boolean };

const optional = (v: unknown, type: string) => v === undefined || typeof v === type;

export function isHostToChild(m: unknown): m is HostToChild {
  if (!m || typeof m !== 'object') return false;
  const msg = m as Record<string, unknown>;
  if (msg.type === 'stop') return true;
  return msg.type === 'start' && typeof msg.experimentFile === 'string'
    && optional(msg.resume, 'string') && optional(msg.stopAfter, 'number') && optional(msg.detached, 'boolean');
}

export function isChildToHost(m: unknown): m is ChildToHost {
  if (!m || typeof m !== 'object') return false;
  const msg = m as Record<string, unknown>;
  return msg.type === 'ready' || (msg.type === 'event' && typeof msg.event === 'object')
    || (msg.type === 'error' && typeof msg.message === 'string');
}
