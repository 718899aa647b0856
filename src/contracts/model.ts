// Model and freezing: the host owns the experiment file; the panel sends what the user toggled and gets the whole
// (small) freeze state back after every write, so file and panel never disagree.
import type { FreezePreset } from '../core/freezing.js';
import { arr, bool, int, msg, num, obj, oneOf, opt, str, unionParser } from './validate.js';

const param = obj({ name: str, path: str, module: str, size: int, dims: arr(int), frozen: bool });
const group = obj({ match: arr(str), lrScale: opt(num), weightDecay: opt(num) });
export const PRESETS = ['head', 'lastBlocks', 'all', 'none'] as const satisfies readonly FreezePreset[];
export type Preset = (typeof PRESETS)[number];

const modelState = msg('model/state', {
  experimentFile: str,
  modelFile: str,
  params: arr(param),
  /** The experiment's `freeze` globs, as written. */
  freeze: arr(str),
  groups: arr(group),
  total: int,
  trainable: int,
  /** Repeated blocks (e.g. `encoder.layer.0` … `.11`), bottom first: what "last N blocks" counts. */
  blocks: arr(str),
  /** Modules the "head only" preset keeps trainable. */
  head: arr(str),
  /** Optimizer base learning rate, to show each group's effective rate. */
  lr: opt(num),
  /** Gradual unfreezing as the file has it; `unfreezeSupported`: the engine's schema knows the field. */
  unfreeze: opt(obj({ every: int, order: arr(arr(str)) })),
  unfreezeSupported: bool,
});
const modelError = msg('model/error', { experimentFile: str, message: str });

export type ModelParam = ReturnType<typeof param>;
export type LrGroup = ReturnType<typeof group>;
export type ModelState = ReturnType<typeof modelState>;
export type ModelToWebview = ModelState | ReturnType<typeof modelError>;
export const parseModelToWebview = unionParser<ModelToWebview>('model message from the host', { 'model/state': modelState, 'model/error': modelError });

/** `path`: a module path ('' = the whole model) or, with kind 'param', a parameter's ONNX name. */
const toggle = msg('model/toggle', { kind: oneOf('module', 'param'), path: str, frozen: bool });
const preset = msg('model/preset', { preset: oneOf(...PRESETS), blocks: opt(int) });
const setGroups = msg('model/setGroups', { groups: arr(group) });
/** Thaw one more block every `every` steps, top-down (fastai); `every` 0 turns gradual unfreezing off. */
const setUnfreeze = msg('model/setUnfreeze', { every: int });
export type ModelToHost = ReturnType<typeof toggle> | ReturnType<typeof preset> | ReturnType<typeof setGroups> | ReturnType<typeof setUnfreeze>;
export const parseModelToHost = unionParser<ModelToHost>('model message from the panel', {
  'model/toggle': toggle,
  'model/preset': preset,
  'model/setGroups': setGroups,
  'model/setUnfreeze': setUnfreeze,
});
