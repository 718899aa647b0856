/**
 * The training child process: the extension host forks it, sends `start`, and gets every run event back over IPC.
 * It owns the run directory, so the host can die and re-attach from disk.
 */
import { runExperiment } from '../core/experiment/run.js';
import { readExperiment } from '../core/experiment/spec.js';
import { formatError, isUserFacing } from '../core/experiment/errors.js';
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
      baseDir, resume: m.resume, resumeFrom: m.resumeFrom, stopAfter: m.stopAfter, signal: controller.signal,
      onEvent: (event) => send({ type: 'event', event }),
    });
    process.exitCode = 0;
  } catch (e) {
    const userError = isUserFacing(e);
    send({ type: 'error', message: formatError(e, !userError || !!process.env.DEBUG), userError });
    process.exitCode = 1;
  }
  process.disconnect?.();
});

// The host going away (window closed) must not leave a half-written step: finish it and checkpoint.
process.on('disconnect', () => controller.abort());
// So does a polite kill (SIGTERM, or SIGINT from a terminal): the run ends 'stopped' with a checkpoint.
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => controller.abort());
send({ type: 'ready' });
