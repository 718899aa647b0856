// openDataset: data files → indexed, labelled, split batch sources for the model's inputs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BadRows } from './bad-rows.js';
import { RowsSource } from './batches.js';
import { DataError } from './errors.js';
import { splitFolders } from './formats/folders.js';
import { openTable } from './formats/open.js';
import { sampleRows, type Table } from './formats/table.js';
import { LabelMap, labelKey } from './labels.js';
import { makePlan, missingColumn, type Plan } from './plan.js';
import { RowIndex } from './row-index.js';
import { splitRows } from './split.js';
import type { BatchSource, DataSpec, Dataset, OpenOptions } from './types.js';

const SAMPLE_ROWS = 200;
const DEFAULT_SPLIT_SEED = 42;

export async function openDataset(spec: DataSpec, opts: OpenOptions): Promise<Dataset> {
  const files = resolveFiles(spec, opts.baseDir);
  const train = await openTable(files.train, { header: spec.header });
  const sample = await sampleRows(train, SAMPLE_ROWS);
  if (sample.length === 0) throw new DataError(train.path, 'no usable rows');
  const plan = makePlan(train, sample, spec, opts);
  const bad = new BadRows(spec.skipBadRows ?? false, spec.onBadRow ? spec.onBadRow === 'skip' : (spec.skipBadRows ?? false));

  // Labels are collected from the training file (unless fixed by the spec); eval and test must use them.
  const labelMap = plan.labelKind === 'class' ? new LabelMap(spec.labels) : undefined;
  const trainIndex = await scan(train, plan, labelMap, bad);
  let labels: string[] | undefined;
  if (labelMap) {
    const done = labelMap.finish(opts.modelLabels);
    if (typeof done === 'string') throw new DataError(train.path, done);
    labels = done.labels;
    if (done.remap) trainIndex.remapLabels(done.remap);
  }
  if (trainIndex.size === 0) throw new DataError(train.path, 'no usable rows');

  const split = spec.split ?? {};
  const parts = splitRows(trainIndex.size, split, {
    seed: split.seed ?? DEFAULT_SPLIT_SEED,
    labels: labelMap ? trainIndex.labels() : undefined,
    stratify: split.stratify,
  });
  const source = (table: Table, index: RowIndex, positions: Uint32Array) => new RowsSource(table, index, positions, plan, opts.inputs, bad);
  const fromFile = async (file: string): Promise<BatchSource> => {
    const table = await openTable(file, { header: spec.header });
    for (const c of plan.required) if (!table.columns.includes(c)) throw missingColumn(table, c);
    const index = await scan(table, plan, labels && new LabelMap(labels), bad);
    return source(table, index, Uint32Array.from({ length: index.size }, (_, i) => i));
  };

  const validation = files.eval ? await fromFile(files.eval) : parts.validation && source(train, trainIndex, parts.validation);
  const test = files.test ? await fromFile(files.test) : parts.test && source(train, trainIndex, parts.test);
  return {
    format: train.format,
    columns: plan.columns,
    labels,
    splits: { train: source(train, trainIndex, parts.train), ...(validation ? { validation } : {}), ...(test ? { test } : {}) },
    get skipped() {
      return bad.count;
    },
    get skippedRows() {
      return bad.first;
    },
  };
}

/** Absolute paths of the split files; a folder with split sub-folders (train/, validation/, test/) gives its own. */
function resolveFiles(spec: DataSpec, baseDir: string): { train: string; eval?: string; test?: string } {
  const abs = (p: string | undefined) => p && path.resolve(baseDir, p);
  const files = { train: abs(spec.train)!, eval: abs(spec.eval), test: abs(spec.test) };
  if (fs.existsSync(files.train) && fs.statSync(files.train).isDirectory()) {
    const sub = splitFolders(files.train);
    if (sub) Object.assign(files, { train: sub.train, eval: files.eval ?? sub.validation, test: files.test ?? sub.test });
  }
  if (files.eval && spec.split?.validation) throw new DataError(files.eval, 'both an eval file and split.validation are given; use one');
  if (files.test && spec.split?.test) throw new DataError(files.test, 'both a test file and split.test are given; use one');
  return files;
}

/** Reads a whole table once: checks every row, collects labels, and records where the usable rows are. */
async function scan(table: Table, plan: Plan, labels: LabelMap | undefined, bad: BadRows): Promise<RowIndex> {
  const index = new RowIndex();
  let first = true;
  for await (const chunk of table.rows()) {
    if (first) {
      // Room for the rows the file will hold, estimated from the size of the first ones.
      const bytes = chunk.reduce((n, r) => n + r.ref.len, 0);
      index.reserve(table.exactCount ?? Math.ceil((1.05 * chunk.length * table.sizeBytes) / Math.max(1, bytes)));
      first = false;
    }
    for (const r of chunk) {
      let reason = r.error ?? plan.check(r.values!);
      let id = -1;
      if (!reason && labels) {
        const got = labels.id(labelKey(r.values![plan.labelColumn!])!);
        if (typeof got === 'string') reason = got;
        else id = got;
      }
      if (reason) bad.report(table, r.ref, reason);
      else index.push(r.ref, id);
    }
  }
  return index;
}
