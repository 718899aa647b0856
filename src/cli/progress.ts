import type { RunEvent } from '../core/experiment/events.js';

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds), m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}:${String(s % 60).padStart(2, '0')}`;
}

export function formatMetric(m: { split?: string; loss: number; accuracy?: number }): string {
  return `loss ${m.loss.toFixed(4)}${m.accuracy !== undefined ? `  accuracy ${(100 * m.accuracy).toFixed(1)}%` : ''}`;
}

/** Prints run events: a live progress bar (step/total, loss, ETA) on a terminal, plain lines otherwise. */
export function progressPrinter(out: NodeJS.WriteStream = process.stderr): (e: RunEvent) => void {
  const tty = out.isTTY;
  let total = 0, start = 0, firstStep = 0, lastLine = 0;
  const clear = () => tty && out.write('\r\x1b[K');
  return (e) => {
    switch (e.type) {
      case 'start':
        total = e.totalSteps;
        firstStep = e.resumedFrom ?? 0;
        start = performance.now();
        out.write(`run ${e.runDir}\n${e.trainableParams.toLocaleString('en-US')} of ${e.totalParams.toLocaleString('en-US')} parameters trainable` +
          `${e.frozen.length ? ` (${e.frozen.length} tensors frozen)` : ''}; ${total} steps${e.resumedFrom ? `, resuming after step ${e.resumedFrom}` : ''}\n`);
        break;
      case 'step': {
        const m = e.metric, done = m.step - firstStep;
        const eta = ((performance.now() - start) / 1000 / done) * (total - m.step);
        const width = 24, filled = Math.round((m.step / total) * width);
        const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${m.step}/${total}  loss ${m.loss.toFixed(4)}  lr ${m.lr.toExponential(2)}  ${m.seconds.toFixed(2)}s/step  ETA ${duration(eta)}`;
        if (tty) out.write('\r\x1b[K' + line);
        else if (m.step === total || m.step - lastLine >= Math.max(1, Math.floor(total / 20))) {
          out.write(line + '\n');
          lastLine = m.step;
        }
        break;
      }
      case 'eval':
        clear();
        out.write(`eval @${e.metric.step} ${e.metric.split}: ${formatMetric(e.metric)}\n`);
        break;
      case 'checkpoint':
        clear();
        out.write(`checkpoint @${e.step}: ${e.dir}\n`);
        break;
      case 'log':
        clear();
        out.write(`${e.level === 'warn' ? 'warning: ' : ''}${e.message}\n`);
        break;
      case 'done':
        clear();
        out.write(`${e.summary.status} after ${e.summary.steps}/${e.summary.totalSteps} steps (${e.summary.secondsPerStep.toFixed(3)} s/step)\n`);
        if (e.summary.modelPath) out.write(`fine-tuned model: ${e.summary.modelPath}\n`);
        break;
    }
  };
}
