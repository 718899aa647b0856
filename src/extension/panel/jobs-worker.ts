// Worker-thread entry of the panel's heavy jobs (bundled as dist/panel-worker.cjs).
import { parentPort } from 'node:worker_threads';
import type { JobRequest } from './jobs.js';
import { runJob } from './jobs-run.js';

parentPort?.on('message', async ({ id, req }: { id: number; req: JobRequest }) => {
  try {
    parentPort!.postMessage({ id, ok: true, value: await runJob(req) });
  } catch (e) {
    parentPort!.postMessage({ id, ok: false, error: (e as Error).message });
  }
});
