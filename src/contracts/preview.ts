// Dataset preview: the host sends what previewDataset found; the webview asks for another role for a column.
import { arr, bool, int, msg, nullable, num, obj, oneOf, opt, record, str, unionParser, type Check } from './validate.js';

/** Roles the user can pick in the preview (the engine also knows target, feature and input; those it guesses). */
export const PICKABLE_ROLES = ['text', 'text_pair', 'image', 'label', 'ignore'] as const;
export type PickableRole = (typeof PICKABLE_ROLES)[number];
const ROLES = ['text', 'text_pair', 'image', 'label', 'target', 'feature', 'input', 'ignore'] as const;

const cell: Check<string | number | null> = (v, at) => (typeof v === 'number' ? v : nullable(str)(v, at));

const previewState = msg('preview/state', {
  file: str,
  format: str,
  columns: arr(obj({ name: str, role: oneOf(...ROLES), unsure: opt(bool) })),
  rows: arr(record(cell)),
  rowCount: int,
  rowCountExact: bool,
  labelDistribution: record(num),
  badRows: arr(obj({ line: int, reason: str })),
  badRowUnit: oneOf('line', 'row'),
  splits: opt(obj({ train: int, validation: opt(int), test: opt(int) })),
  /** Roles the user picked, by column. */
  picked: record(oneOf(...PICKABLE_ROLES)),
});
const previewLoading = msg('preview/loading', { file: str });
const previewError = msg('preview/error', { file: str, message: str });

export type PreviewState = ReturnType<typeof previewState>;
export type PreviewToWebview = PreviewState | ReturnType<typeof previewLoading> | ReturnType<typeof previewError>;
export const parsePreviewToWebview = unionParser<PreviewToWebview>('preview message from the host', {
  'preview/state': previewState,
  'preview/loading': previewLoading,
  'preview/error': previewError,
});

const setRole = msg('preview/setRole', { column: str, role: oneOf(...PICKABLE_ROLES) });
export type PreviewToHost = ReturnType<typeof setRole>;
export const parsePreviewToHost = unionParser<PreviewToHost>('preview message from the panel', { 'preview/setRole': setRole });
