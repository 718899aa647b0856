/**
 * The training child process: the extension host forks it, sends `start`, and gets every run event back over IPC.
 * It owns the run directory (and its `run.log`), so the host can die and re-attach from disk.
 */
import * as path from 'node:path';
import { runExperiment } from '../core/experiment/run.js';
import { appendRunLog } from '../core/experiment/run-dir.js';
import { readExperiment } from '../core/experiment/spec.js';
import { UserError } from '../core/onnx/errors.js';
import type { RunEvent } from '../core/experiment/events.js';
import { isHostToChild, type ChildToHost } from './protocol.js';

// A detached run outlives its host: IPC and pipes to a dead host must not kill it.
const send = (m: ChildToHost) => process.connected && process.send?.(m, undefined, undefined, () => {});
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});
const controller = new AbortController();
let started = false;
let detached = false;
let runDir: string | undefined;

function logLine(event: RunEvent): string | undefined {
  switch (event.type) {
    case 'start': return `start: ${event.totalSteps} steps, ${event.trainableParams}/${event.totalParams} parameters trainable${event.resumedFrom !== undefined ? `, resumed from step ${event.resumedFrom}` : ''}`;
    case 'log': return `${event.level}: ${event.message}`;
    case 'eval': return `eval @${event.metric.step} ${event.metric.split}: loss ${event.metric.loss.toFixed(4)}${event.metric.accuracy !== undefined ? `, accuracy ${(event.metric.accuracy * 100).toFixed(1)}%` : ''}`;
    case 'checkpoint': return `checkpoint @${event.step}: ${event.dir}`;
    case 'done': return `${event.summary.status} after ${event.summary.steps}/${event.summary.totalSteps} steps`;
    default: return undefined;
  }
}

function onEvent(event: RunEvent): void {
  if (event.type === 'start') runDir = event.runDir;
  const line = logLine(event);
  if (runDir && line) appendRunLog(runDir, line);
  send({ type: 'event', event });
}

process.on('message', async (m: unknown) => {
  if (!isHostToChild(m)) return send({ type: 'error', message: `unexpected message ${JSON.stringify(m)}`, userError: false });
  if (m.type === 'stop') return controller.abort();
  if (started) return send({ type: 'error', message: 'a run is already in progress', userError: false });
  started = true;
  detached = m.detached ?? false;
  try {
    const { spec, baseDir } = readExperiment(m.experimentFile);
    await runExperiment(spec, { baseDir, experimentFile: path.resolve(m.experimentFile), resume: m.resume, stopAfter: m.stopAfter, signal: controller.signal, onEvent });
    process.exitCode = 0;
  } catch (e) {
    const userError = e instanceof UserError || (e as Error).name === 'DataError';
    const message = userError ? (e as Error).message : String((e as Error).stack);
    if (runDir) appendRunLog(runDir, `error: ${message}`);
    send({ type: 'error', message, userError });
    process.exitCode = 1;
  }
  if (process.connected) process.disconnect();
});

// Without a host to report to, an attached run stops after its step with a checkpoint; a detached one goes on.
process.on('disconnect', () => {
  if (!detached) controller.abort();
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => controller.abort());
send({ type: 'ready' });
