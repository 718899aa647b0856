// Row checks shared by training (plan.ts) and the preview, so both flag the same rows.
import type { Row } from './formats/table.js';
import { labelKey } from './labels.js';
import { textOf, toNumber } from './cells.js';

export interface CheckedColumns {
  text?: string;
  textPair?: string;
  image?: string;
  label?: string;
  targets?: string[];
}

/** Why a row cannot be used for these columns, or undefined. */
export function rowProblem(row: Row, cols: CheckedColumns): string | undefined {
  for (const c of [cols.text, cols.textPair]) if (c && textOf(row[c]).trim() === '') return `empty text in column '${c}'`;
  if (cols.image) {
    const v = row[cols.image];
    if (v === undefined || v === null || v === '') return `missing image in column '${cols.image}'`;
  }
  if (cols.label && labelKey(row[cols.label]) === undefined) return `missing label in column '${cols.label}'`;
  for (const t of cols.targets ?? []) {
    const v = row[t];
    const ok = Array.isArray(v) ? v.length > 0 && v.every((x) => toNumber(x) !== undefined) : toNumber(v) !== undefined;
    if (!ok) return `target '${t}' is not a number: ${JSON.stringify(v ?? null)}`;
  }
  return undefined;
}
