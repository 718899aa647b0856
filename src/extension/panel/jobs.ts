// The panel's heavy work (scanning a dataset, loading a model, diffing two checkpoints), run in a worker thread so
// the extension host never stalls (jobs-run.ts is the work itself; `inProcessJobs` there runs it in-thread).
import { Worker } from 'node:worker_threads';
import type { Preview, PreviewOptions } from '../../core/data/types.js';
import type { ParamInfo } from '../../core/module-tree.js';
import type { DiffResult } from '../../contracts/diff.js';

export type JobRequest =
  | { kind: 'preview'; file: string; opts: PreviewOptions }
  | { kind: 'params'; model: string }
  | { kind: 'diff'; a: string; b: string };
export type JobResult<R extends JobRequest> = R extends { kind: 'preview' } ? Preview : R extends { kind: 'params' } ? ParamInfo[] : DiffResult;

export interface PanelJobs {
  run<R extends JobRequest>(req: R): Promise<JobResult<R>>;
  dispose(): void;
}

/** Jobs in a worker thread started from `workerFile` (the bundled jobs-worker); one job at a time per kind is the
 * caller's business, the worker takes them in order. */
export function workerJobs(workerFile: string): PanelJobs {
  let worker: Worker | undefined;
  let next = 0;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const start = () => {
    const w = new Worker(workerFile);
    w.on('message', (m: { id: number; ok: boolean; value?: unknown; error?: string }) => {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (pending.size === 0) w.unref(); // an idle worker never keeps the process alive
      if (m.ok) p?.resolve(m.value);
      else p?.reject(new Error(m.error));
    });
    const failAll = (e: Error) => {
      for (const p of pending.values()) p.reject(e);
      pending.clear();
      worker = undefined;
    };
    w.on('error', failAll);
    w.on('exit', (code) => failAll(new Error(`the panel's worker thread exited (code ${code})`)));
    return w;
  };
  return {
    run(req) {
      worker ??= start();
      worker.ref();
      const id = next++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        worker!.postMessage({ id, req });
      });
    },
    dispose() {
      void worker?.terminate();
      worker = undefined;
    },
  };
}
