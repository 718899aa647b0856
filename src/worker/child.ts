/**
 * The training child process: the extension host forks it, sends `start`, and gets every run event back over IPC.
 * It owns the run directory, so the host can die and re-attach from disk.
 */
import { runExperiment } from '../core/experiment/run.js';
import { readExperiment } from '../core/experiment/spec.js';
import { UserError } from '../core/onnx/errors.js';
import { isHostToChild, type ChildToHost } from './protocol.js';

const send = (m: ChildToHost) => process.send?.(m);
const controller = new AbortController();
let started = false;

process.on('message', async (m: unknown) => {
  if (!isHostToChild(m)) return send({ type: 'error', message: `unexpected message ${JSON.stringify(m)}`, userError: false });
  if (m.type === 'stop') return controller.abort();
  if (started) return send({ type: 'error', message: 'a run is already in progress', userError: false });
  started = true;
  try {
    const { spec, baseDir } = readExperiment(m.experimentFile);
    await runExperiment(spec, {
      baseDir, resume: m.resume, stopAfter: m.stopAfter, signal: controller.signal,
      onEvent: (event) => send({ type: 'event', event }),
    });
    process.exitCode = 0;
  } catch (e) {
    const userError = e instanceof UserError || (e as Error).name === 'DataError';
    send({ type: 'error', message: userError ? (e as Error).message : String((e as Error).stack), userError });
    process.exitCode = 1;
  }
  process.disconnect?.();
});

// The host going away (window closed) must not leave a half-written step: finish it and checkpoint.
process.on('disconnect', () => controller.abort());
send({ type: 'ready' });
