// The data layer: reading what users have (CSV/TSV, JSONL/JSON, Parquet, text, image and text folders,
// pre-tokenized JSONL), mapping columns to the model's inputs, and batching. No vscode import: the CLI, the
// training child process and the panel all use it.
export * from './types.js';
export { DataError } from './errors.js';
export { openDataset } from './dataset.js';
export { previewDataset } from './preview.js';
export { detectFormat } from './formats/open.js';
export { inferRoles } from './roles.js';
export { sortLabels } from './labels.js';
export { mulberry32, mixSeed } from './random.js';
