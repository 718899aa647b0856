// Public types of the data layer: what the engine, the CLI and the panel exchange.

export type TensorType = 'float32' | 'int64';

export interface HostTensor {
  type: TensorType;
  data: Float32Array | BigInt64Array;
  dims: number[];
}

/** A model input as declared by the ONNX graph; a string or -1 dim is dynamic. */
export interface ModelInput {
  name: string;
  type: TensorType;
  dims: (number | string)[];
}

/**
 * One training batch. `labels` is int64 [B] class ids for classification, float32 [B] or [B,K] targets for
 * regression, and for causal-lm the input_ids tensor itself.
 */
export interface Batch {
  inputs: Record<string, HostTensor>;
  labels: HostTensor;
  size: number;
  /** Per row, what a person would recognise it by (a text snippet, an image path), where the data has it. */
  examples?: (string | undefined)[];
}

export type Task = 'classification' | 'regression' | 'causal-lm';

export interface ColumnSpec {
  text?: string;
  textPair?: string;
  image?: string;
  label?: string;
  target?: string | string[];
}

/** The `data` section of an experiment file. Paths are relative to the experiment's base dir. */
export interface DataSpec {
  train: string;
  eval?: string;
  test?: string;
  columns?: ColumnSpec;
  split?: { validation?: number; test?: number; seed?: number; stratify?: boolean };
  /** Path to tokenizer.json; default: tokenizer.json next to the model. */
  tokenizer?: string;
  /** Default: the model's static sequence dim, else 128. */
  maxLength?: number;
  /** Fixed label order (e.g. from labels.json when resuming or evaluating). */
  labels?: string[];
  /** Skip rows that cannot be read or parsed while indexing (default: an error naming the first one). */
  skipBadRows?: boolean;
  /** Rows found bad only when a batch reads them (an undecodable image): skipped and counted, or an error (default
   * here: as skipBadRows; a training run skips them unless told 'fail'). */
  onBadRow?: 'skip' | 'fail';
  /** CSV/TSV only: whether the first row is a header; default: detected. */
  header?: boolean;
}

export type Format = 'csv' | 'tsv' | 'jsonl' | 'json' | 'parquet' | 'text' | 'text-folder' | 'image-folder';

/**
 * What a column is used for. `input`: pre-tokenized values fed straight to the model input of the same name;
 * `feature`: numbers (or a numeric array) fed to a float input such as `features` [B,K].
 */
export type ColumnRole = 'text' | 'text_pair' | 'image' | 'label' | 'target' | 'feature' | 'input' | 'ignore';

export interface ColumnInfo {
  name: string;
  role: ColumnRole;
  /** The guess had a close alternative (or found no label where one is wanted): ask the user. */
  unsure?: boolean;
}

/** A row that cannot be used. `line` is the line in text files, else the 1-based row (or file) number. */
export interface BadRow {
  line: number;
  reason: string;
}

export interface BatchOptions {
  shuffle: boolean;
  seed: number;
  epoch: number;
  dropLast?: boolean;
}

export interface BatchSource {
  /** Number of usable rows. */
  readonly size: number;
  batches(batchSize: number, opts: BatchOptions): AsyncIterable<Batch>;
}

export interface Dataset {
  format: Format;
  columns: ColumnInfo[];
  /** Class names in id order (classification), else undefined. Saved with the run as labels.json. */
  labels: string[] | undefined;
  splits: { train: BatchSource; validation?: BatchSource; test?: BatchSource };
  /** Rows skipped so far (skipBadRows); grows while batches are read if a row fails to decode. */
  readonly skipped: number;
  /** The first skipped rows with their reasons, for the run log (`line` 0: the row is a file of its own). */
  readonly skippedRows: { file: string; line: number; reason: string }[];
}

export interface OpenOptions {
  baseDir: string;
  modelPath?: string;
  inputs: ModelInput[];
  task: Task;
  /** The model's class names (modelLabelNames): collected labels map onto them (see LabelMap.finish). */
  modelLabels?: string[];
  /** Regression: the target values a row must give (the output's element count) and what says so, for messages. */
  targetValues?: { count: number; what: string };
}

export type Cell = string | number | null;

export interface Preview {
  format: Format;
  columns: ColumnInfo[];
  rows: Record<string, Cell>[];
  rowCount: number;
  rowCountExact: boolean;
  labelDistribution: Record<string, number>;
  badRows: BadRow[];
  /** What BadRow.line counts: lines of a text file, or rows (Parquet, JSON arrays, files of a folder). */
  badRowUnit: 'line' | 'row';
  splits?: { train: number; validation?: number; test?: number };
}

export interface PreviewOptions {
  limit?: number;
  baseDir?: string;
  columns?: ColumnSpec;
  /** Columns the user set aside: never guessed into a role. */
  ignore?: string[];
  split?: DataSpec['split'];
  header?: boolean;
}
