// How rows of a table become model inputs and labels, decided once from the model's inputs, the task, the
// columns' roles and the experiment file's overrides.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Feature, LabelKind } from './collate.js';
import { DataError } from './errors.js';
import type { Row, Table } from './formats/table.js';
import { imageSource, imageSpecFor, loadImage } from './images.js';
import { textOf, toNumber } from './cells.js';
import { rowProblem } from './checks.js';
import { byRole, inferRoles } from './roles.js';
import { TextTokenizer } from './tokenizer.js';
import type { ColumnInfo, DataSpec, ModelInput, OpenOptions } from './types.js';

type Features = Record<string, Feature>;

export interface Plan {
  kind: 'pretokenized' | 'text' | 'image' | 'features';
  columns: ColumnInfo[];
  /** Columns every data file (train, eval, test) must have. */
  required: string[];
  labelKind: LabelKind;
  /** The column whose values become class ids (classification). */
  labelColumn?: string;
  /** Cheap checks made while a file is scanned: why the row is unusable, or undefined. */
  check(row: Row): string | undefined;
  /** Regression target(s) of a checked row. */
  target(row: Row): number | number[];
  /**
   * The model inputs of a checked row; throws (or rejects) with the reason when the row cannot be encoded.
   * Only images are asynchronous. `dir` resolves relative image paths.
   */
  encode(row: Row, dir: string): Features | Promise<Features>;
  /** What a person would recognise a checked row by (Batch.examples): a text snippet, an image's path. */
  describe?(row: Row, dir: string): string | undefined;
}

/** Longest example snippet kept (eval-predictions.json holds one per eval row). */
const SNIPPET_CHARS = 200;
const snippet = (text: string) => (text.length > SNIPPET_CHARS ? `${text.slice(0, SNIPPET_CHARS - 1)}…` : text);

const TEXT_INPUTS = new Set(['input_ids', 'attention_mask', 'token_type_ids', 'position_ids']);
const staticDim = (d: number | string | undefined) => (typeof d === 'number' && d > 0 ? d : undefined);
const shapeOf = (i: ModelInput) => `[${i.dims.join(', ')}]`;

export function makePlan(table: Table, sample: Row[], spec: DataSpec, opts: OpenOptions): Plan {
  const names = opts.inputs.map((i) => i.name);
  const pretokenized = names.some((n) => table.columns.includes(n) && sample.some((r) => Array.isArray(r[n])));
  for (const c of Object.values(spec.columns ?? {}).flat()) {
    if (c && !table.columns.includes(c)) throw missingColumn(table, c);
  }
  const roles = inferRoles(table.columns, sample, { override: spec.columns, task: opts.task, modelInputs: pretokenized ? names : undefined });
  const r = byRole(roles);
  const fail = (reason: string): never => {
    throw new DataError(table.path, reason);
  };

  // Labels.
  let labelKind: LabelKind = 'lm';
  let labelColumn: string | undefined;
  let targets: string[] = [];
  if (opts.task === 'classification') {
    labelColumn = r.label ?? fail(`no label column found (columns: ${table.columns.join(', ')}); name it in data.columns.label`);
    labelKind = 'class';
  } else if (opts.task === 'regression') {
    targets = r.target.length ? r.target : fail(`no numeric target column found (columns: ${table.columns.join(', ')}); name it in data.columns.target`);
    labelKind = targets.length === 1 && !sample.some((row) => Array.isArray(row[targets[0]])) ? 'target' : 'target-vector';
  }
  // Every regression row gives as many target values as the output has per row (else as the first row gives):
  // a scalar for [N,1], a flat list for [N,1,1,K].
  const targetCount = (row: Row) => targets.reduce((n, t) => n + (Array.isArray(row[t]) ? (row[t] as unknown[]).length : 1), 0);
  const wantTargets = targets.length ? (opts.targetValues ?? (sample[0] && { count: targetCount(sample[0]), what: 'the first row' })) : undefined;
  const countProblem = (row: Row) => {
    const n = targetCount(row);
    return wantTargets && n !== wantTargets.count ? `${n} target value${n === 1 ? '' : 's'} but ${wantTargets.what} has ${wantTargets.count}` : undefined;
  };
  const labelChecks = (row: Row) => rowProblem(row, { label: labelColumn, targets }) ?? (targets.length ? countProblem(row) : undefined);
  const target = (row: Row): number | number[] => {
    const vals = targets.map((t) => row[t]);
    return labelKind === 'target' ? toNumber(vals[0])! : vals.flat().map((v) => toNumber(v)!);
  };

  const base = { labelKind, labelColumn, target };
  const finalRoles = (used: string[]) =>
    roles.map((c) => ({ name: c.name, role: used.includes(c.name) || ['label', 'target'].includes(c.role) ? c.role : 'ignore' } as ColumnInfo));
  const labelCols = [...(labelColumn ? [labelColumn] : []), ...targets];

  if (pretokenized) {
    const missing = names.filter((n) => !table.columns.includes(n));
    if (missing.length) fail(`pre-tokenized data lacks model input${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} (the keys must be the model's input names plus the label)`);
    return {
      ...base, kind: 'pretokenized', columns: finalRoles(names), required: [...names, ...labelCols],
      check: (row) => names.map((n) => (row[n] === undefined || row[n] === null ? `missing '${n}'` : undefined)).find(Boolean) ?? labelChecks(row),
      encode: (row) => Object.fromEntries(opts.inputs.map((input) => [input.name, tensorFeature(row[input.name], input)])),
    };
  }

  if (names.includes('input_ids')) {
    const unknown = names.filter((n) => !TEXT_INPUTS.has(n));
    if (unknown.length) fail(`the model's input ${unknown.map((u) => `'${u}'`).join(', ')} cannot be made from text; give pre-tokenized JSONL with those keys`);
    const textCol = r.text ?? fail(`no text column found (columns: ${table.columns.join(', ')}); name it in data.columns.text`);
    const tokenizer = loadTokenizer(spec, opts);
    const ids = opts.inputs.find((i) => i.name === 'input_ids')!;
    const fixed = staticDim(ids.dims[1]);
    if (spec.maxLength && fixed && spec.maxLength !== fixed) fail(`maxLength ${spec.maxLength} does not fit the model, whose input_ids are ${shapeOf(ids)}`);
    const maxLength = spec.maxLength ?? fixed ?? 128;
    return {
      ...base, kind: 'text', columns: finalRoles([textCol, ...(r.textPair ? [r.textPair] : [])]),
      required: [textCol, ...(r.textPair ? [r.textPair] : []), ...labelCols],
      check: (row) => rowProblem(row, { text: textCol, textPair: r.textPair, label: labelColumn, targets }),
      encode: (row) => {
        const e = tokenizer.encode(textOf(row[textCol]), r.textPair ? textOf(row[r.textPair]) : undefined, maxLength);
        const byName: Record<string, number[]> = {
          input_ids: e.ids, attention_mask: e.attentionMask, token_type_ids: e.tokenTypeIds, position_ids: e.ids.map((_, i) => i),
        };
        return Object.fromEntries(names.map((n) => [n, { data: byName[n], shape: [maxLength] }]));
      },
      describe: (row) => snippet(r.textPair ? `${textOf(row[textCol])} [SEP] ${textOf(row[r.textPair])}` : textOf(row[textCol])),
    };
  }

  const only = opts.inputs.length === 1 && opts.inputs[0].type === 'float32' ? opts.inputs[0] : undefined;
  if (only?.dims.length === 4) {
    const imageCol = r.image ?? fail(`no image column found (columns: ${table.columns.join(', ')}); name it in data.columns.image`);
    const spec4 = imageSpecFor(only, opts.modelPath && path.dirname(path.resolve(opts.baseDir, opts.modelPath)));
    return {
      ...base, kind: 'image', columns: finalRoles([imageCol]), required: [imageCol, ...labelCols],
      check: (row) => rowProblem(row, { image: imageCol, label: labelColumn, targets }),
      encode: async (row, dir) => {
        const src = imageSource(row[imageCol], dir);
        if (typeof src === 'string' && !fs.existsSync(src)) throw new Error(`image not found: ${src}`);
        try {
          return { [only.name]: { data: await loadImage(src, spec4), shape: [spec4.channels, spec4.height, spec4.width] } };
        } catch (e) {
          throw new Error(`cannot decode image${typeof src === 'string' ? ` ${src}` : ''}: ${(e as Error).message}`);
        }
      },
      describe: (row, dir) => {
        const src = imageSource(row[imageCol], dir);
        return typeof src === 'string' ? src : undefined;
      },
    };
  }

  if (only?.dims.length === 2) {
    const cols = r.features;
    const K = staticDim(only.dims[1]);
    const arrayCol = cols.length === 1 && sample.some((row) => Array.isArray(row[cols[0]]));
    if (!arrayCol && (cols.length === 0 || (K !== undefined && cols.length !== K))) {
      fail(`the model's input '${only.name}' ${shapeOf(only)} takes ${K ?? 'a fixed number of'} numbers per row; found ${cols.length} numeric column(s)${cols.length ? ` (${cols.join(', ')})` : ''}`);
    }
    return {
      ...base, kind: 'features', columns: finalRoles(cols), required: [...cols, ...labelCols],
      check: (row) => {
        const vals = arrayCol ? row[cols[0]] : cols.map((c) => row[c]);
        if (!Array.isArray(vals) || vals.some((v) => toNumber(v) === undefined)) return `non-numeric feature value in ${cols.join(', ')}`;
        if (K !== undefined && vals.length !== K) return `expected ${K} feature values, found ${vals.length}`;
        return labelChecks(row);
      },
      encode: (row) => {
        // Checked while scanning: plain Number() is enough (and this runs for every cell of every epoch).
        const vals = (arrayCol ? (row[cols[0]] as unknown[]) : cols.map((c) => row[c])).map(Number);
        return { [only.name]: { data: vals, shape: [vals.length] } };
      },
    };
  }

  return fail(`cannot map these columns (${table.columns.join(', ')}) to the model's inputs (${opts.inputs.map((i) => `${i.name} ${i.type} ${shapeOf(i)}`).join('; ')})`);
}

function loadTokenizer(spec: DataSpec, opts: OpenOptions): TextTokenizer {
  const file = spec.tokenizer
    ? path.resolve(opts.baseDir, spec.tokenizer)
    : opts.modelPath
      ? path.join(path.dirname(path.resolve(opts.baseDir, opts.modelPath)), 'tokenizer.json')
      : undefined;
  if (!file || !fs.existsSync(file)) {
    throw new DataError(file ?? opts.baseDir, `no tokenizer: the model takes text (input_ids), so it needs its tokenizer.json — put it next to the model or set data.tokenizer in the experiment file, or give pre-tokenized JSONL (keys: the model's input names plus label)`);
  }
  return TextTokenizer.load(file);
}

export function missingColumn(table: Table, column: string): DataError {
  return new DataError(table.path, `no column '${column}' (columns: ${table.columns.join(', ') || 'none'})`);
}

/** A pre-tokenized value (number or nested arrays of numbers) checked against the model input's shape. */
function tensorFeature(v: unknown, input: ModelInput): Feature {
  const shape: number[] = [];
  for (let x = v; Array.isArray(x); x = x[0]) shape.push(x.length);
  const data = (Array.isArray(v) ? (v as unknown[]).flat(Infinity) : [v]) as unknown[];
  const expected = input.dims.slice(1);
  const fits = shape.length === expected.length && expected.every((d, i) => staticDim(d) === undefined || d === shape[i]);
  if (!fits || data.length !== shape.reduce((a, b) => a * b, 1)) {
    throw new Error(`'${input.name}' has shape [${shape.join(', ')}] but the model takes [${expected.join(', ')}] per row`);
  }
  if (data.some((x) => typeof x !== 'number' || (input.type === 'int64' && !Number.isInteger(x)))) {
    throw new Error(`'${input.name}' must hold ${input.type === 'int64' ? 'integers' : 'numbers'}`);
  }
  return { data: data as number[], shape };
}
