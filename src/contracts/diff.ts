// Checkpoint diffing: the webview picks two checkpoints; the host diffs them off its thread and sends the result.
import { arr, bool, int, msg, nullable, num, obj, opt, str, unionParser } from './validate.js';

const checkpointRef = obj({ dir: str, label: str, step: int });
const moduleChange = obj({ path: str, rel: num, params: int, frozen: bool });
const paramChange = obj({ name: str, path: str, rel: num, delta: num, norm: num });
const evalSide = obj({ loss: opt(num), accuracy: opt(num) });
const metricPair = obj({ split: str, a: nullable(evalSide), b: nullable(evalSide) });
const side = obj({ prediction: int, confidence: num, name: str });
const flip = obj({ split: str, index: int, label: nullable(str), example: opt(str), a: side, b: side });
const predictions = obj({
  /** 'ok' when both checkpoints saved predictions; otherwise which ones lack them. */
  missing: arr(str),
  compared: int,
  /** All flips; `flipped` lists the first of them. */
  total: int,
  flipped: arr(flip),
  /** Flips of a wrong prediction to the right label, and the reverse. */
  fixed: int,
  broken: int,
});

const options = msg('diff/options', { checkpoints: arr(checkpointRef), a: opt(str), b: opt(str) });
const loading = msg('diff/loading', { a: str, b: str });
const result = msg('diff/result', {
  a: checkpointRef,
  b: checkpointRef,
  modules: arr(moduleChange),
  topParams: arr(paramChange),
  metrics: arr(metricPair),
  predictions,
});
const error = msg('diff/error', { message: str });

export type CheckpointRef = ReturnType<typeof checkpointRef>;
export type ModuleChange = ReturnType<typeof moduleChange>;
export type ParamChange = ReturnType<typeof paramChange>;
export type Flip = ReturnType<typeof flip>;
export type DiffResult = ReturnType<typeof result>;
export type DiffToWebview = ReturnType<typeof options> | ReturnType<typeof loading> | DiffResult | ReturnType<typeof error>;
export const parseDiffToWebview = unionParser<DiffToWebview>('diff message from the host', {
  'diff/options': options,
  'diff/loading': loading,
  'diff/result': result,
  'diff/error': error,
});

const pick = msg('diff/pick', { a: str, b: str });
export type DiffToHost = ReturnType<typeof pick>;
export const parseDiffToHost = unionParser<DiffToHost>('diff message from the panel', { 'diff/pick': pick });
