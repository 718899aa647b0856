// Class labels: raw values → stable class ids.
import { toNumber } from './cells.js';

/** The key of a label cell: integral numbers (3, "3", "3.0") all become "3"; other values their string. */
export function labelKey(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'object') return JSON.stringify(v);
  const n = toNumber(v);
  return n !== undefined && Number.isInteger(n) && typeof v !== 'boolean' ? String(n) : String(v).trim() || undefined;
}

/**
 * Label names in a stable order: integers numerically, anything else in code-unit order (not localeCompare,
 * whose order depends on the machine's locale). Class id = position in this list.
 */
export function sortLabels(keys: Iterable<string>): string[] {
  const all = [...new Set(keys)];
  if (all.every((k) => /^-?\d+$/.test(k))) return all.sort((a, b) => Number(a) - Number(b));
  return all.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const INT = /^\d+$/;

/**
 * Label keys → class ids. Non-negative integer labels are output indices as they are. With a fixed list (the
 * experiment's `labels`, or the training labels when reading eval data) a key is its name's position there, or an
 * index into it (unless the names are integers themselves); anything else is an error.
 * Otherwise labels are collected while the file is scanned, with provisional ids in first-seen order, and
 * finish() orders them.
 */
export class LabelMap {
  private seen = new Map<string, number>();
  private fixed?: Map<string, number>;

  constructor(private readonly fixedLabels: string[] | undefined) {
    if (fixedLabels) this.fixed = new Map(fixedLabels.map((l, i) => [l, i]));
  }

  /** The class id of a label key (provisional while collecting), or why the label is not usable. */
  id(key: string): number | string {
    if (this.fixed) {
      const id = this.fixed.get(key) ?? indexOf(key, this.fixedLabels!);
      return id ?? `unknown label '${key}' (known labels: ${list(this.fixedLabels!)})`;
    }
    let id = this.seen.get(key);
    if (id === undefined) this.seen.set(key, (id = this.seen.size));
    return id;
  }

  /**
   * The label list, and for collected labels how provisional ids map onto it. With the model's class names
   * (modelLabelNames), labels that are all names map to their outputs, and integer labels below their count stay
   * output indices; anything else is the returned reason. Without them, integer labels name 0..max and other
   * labels are sorted (a new or replaced head).
   */
  finish(modelNames?: string[]): { labels: string[]; remap?: Int32Array } | string {
    if (this.fixedLabels) return { labels: this.fixedLabels };
    const keys = [...this.seen.keys()];
    if (modelNames) {
      const index = new Map(modelNames.map((n, i) => [n, i]));
      if (keys.every((k) => index.has(k))) return { labels: modelNames, remap: Int32Array.from(keys, (k) => index.get(k)!) };
      if (keys.every((k) => indexOf(k, modelNames) !== undefined)) return { labels: modelNames, remap: Int32Array.from(keys, Number) };
      return `the labels (${list(sortLabels(keys))}) are not the model's class names (${list(modelNames)}) nor output indices 0–${modelNames.length - 1}: `
        + `relabel the data, or set data.labels to the dataset's labels in the model's output order`;
    }
    if (keys.every((k) => INT.test(k))) {
      const max = keys.reduce((m, k) => Math.max(m, Number(k)), -1);
      return { labels: Array.from({ length: max + 1 }, (_, i) => String(i)), remap: Int32Array.from(keys, Number) };
    }
    const labels = sortLabels(keys);
    const remap = new Int32Array(keys.length);
    labels.forEach((k, i) => (remap[this.seen.get(k)!] = i));
    return { labels, remap };
  }
}

/** An integer label as an index into `names`, unless the names are integers themselves (then only names match). */
function indexOf(key: string, names: string[]): number | undefined {
  return INT.test(key) && Number(key) < names.length && !names.some((n) => INT.test(n)) ? Number(key) : undefined;
}

/** The first 20 labels, for messages. */
function list(labels: string[]): string {
  return `${labels.slice(0, 20).join(', ')}${labels.length > 20 ? ', …' : ''}`;
}
