// Live curves: the host tails each shown run's metrics.jsonl and sends only the rows added since the last message.
import { arr, int, msg, num, obj, oneOf, opt, str, unionParser } from './validate.js';

/** One metrics.jsonl row: a training step (loss, lr, gradNorm, seconds) or an eval row (split, loss, accuracy). */
const row = obj({ step: num, loss: opt(num), lr: opt(num), gradNorm: opt(num), seconds: opt(num), split: opt(str), accuracy: opt(num) });
export type MetricRow = ReturnType<typeof row>;
const STATUSES = ['running', 'completed', 'stopped', 'failed', 'interrupted', 'unknown'] as const;
const runInfo = obj({ runDir: str, label: str, status: oneOf(...STATUSES) });
export type CurveRunInfo = ReturnType<typeof runInfo>;

/** The runs the user can overlay, and which are shown. */
const runs = msg('curves/runs', { available: arr(runInfo), shown: arr(str) });
/** Starts (or restarts) a run's series; `retention` names the eval split of the source task, if any. */
const reset = msg('curves/reset', { runDir: str, label: str, task: oneOf('classification', 'regression', 'causal-lm'), retention: opt(str) });
const append = msg('curves/append', { runDir: str, rows: arr(row), skipped: opt(int) });
const status = msg('curves/status', { runDir: str, status: oneOf(...STATUSES) });
const remove = msg('curves/remove', { runDir: str });

export type CurvesToWebview = ReturnType<typeof runs> | ReturnType<typeof reset> | ReturnType<typeof append> | ReturnType<typeof status> | ReturnType<typeof remove>;
export const parseCurvesToWebview = unionParser<CurvesToWebview>('curves message from the host', {
  'curves/runs': runs,
  'curves/reset': reset,
  'curves/append': append,
  'curves/status': status,
  'curves/remove': remove,
});

const show = msg('curves/show', { runDirs: arr(str) });
/** PNG as a data: URL, CSV as text; the host asks where to save it. */
const exportFile = msg('curves/export', { format: oneOf('png', 'csv'), name: str, data: str });
export type CurvesToHost = ReturnType<typeof show> | ReturnType<typeof exportFile>;
export const parseCurvesToHost = unionParser<CurvesToHost>('curves message from the panel', { 'curves/show': show, 'curves/export': exportFile });
