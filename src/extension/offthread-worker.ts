// Runs the engine's blocking reads (model inspection, dataset preview, checkpoint export) on a worker thread, so the
// extension host's event loop stays free while a large model or dataset is read.
import { parentPort } from 'node:worker_threads';
import { offthreadOps, type OffthreadRequest } from './offthread-ops.js';

parentPort!.on('message', async (req: OffthreadRequest) => {
  try {
    const result = await offthreadOps[req.op](...(req.args as [string, string, string]));
    parentPort!.postMessage({ id: req.id, result });
  } catch (e) {
    parentPort!.postMessage({ id: req.id, error: (e as Error).message, name: (e as Error).name });
  }
});
