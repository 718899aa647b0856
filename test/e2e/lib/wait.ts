// Waiting on state, never on time: poll a condition until it holds or a deadline passes.
import { setTimeout as delay } from 'node:timers/promises';

type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** What is awaited, for the timeout message. */
  what: string;
}

/** Resolves with the first truthy value `check` returns; an exception from `check` ends the wait with that error. */
export async function waitUntil<T>(check: () => T | Promise<T>, { timeoutMs = 30_000, intervalMs = 100, what }: WaitOptions): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await delay(intervalMs);
  }
}
