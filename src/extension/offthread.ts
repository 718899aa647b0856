import { Worker } from 'node:worker_threads';
import type { OffthreadOp, OffthreadResult, offthreadOps } from './offthread-ops.js';

/** Client of the worker thread in `offthread-worker.ts`: one worker, started on first use, requests by id. */
export class Offthread {
  private worker?: Worker;
  private nextId = 1;
  private pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  constructor(private readonly script: string) {}

  run<K extends OffthreadOp>(op: K, ...args: Parameters<(typeof offthreadOps)[K]>): Promise<OffthreadResult<K>> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.ref(); // keep the process alive while an answer is owed, not longer
      worker.postMessage({ id, op, args });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.script);
    worker.on('message', (m: { id: number; result?: unknown; error?: string; name?: string }) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (!p) return;
      if (m.error !== undefined) p.reject(Object.assign(new Error(m.error), { name: m.name ?? 'Error' }));
      else p.resolve(m.result);
    });
    const fail = (e: Error) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      this.worker = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the worker thread exited (${code})`)));
    worker.unref();
    return (this.worker = worker);
  }

  dispose(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }
}
