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
 * Label keys → class ids. With a fixed list (the experiment's `labels`, or the training labels when reading
 * eval data) a key outside it is an error. Otherwise labels are collected while the file is scanned, with
 * provisional ids in first-seen order, and sorted by finish().
 */
export class LabelMap {
  private seen = new Map<string, number>();
  private fixed?: Map<string, number>;

  /** `identity`: integer labels are class ids as they are (pre-tokenized data). */
  constructor(private readonly fixedLabels: string[] | undefined, private readonly identity: boolean) {
    if (fixedLabels) this.fixed = new Map(fixedLabels.map((l, i) => [l, i]));
  }

  /** The class id of a label key (provisional while collecting), or why the label is not usable. */
  id(key: string): number | string {
    if (this.fixed) {
      const id = this.fixed.get(key) ?? (this.identity && INT.test(key) && Number(key) < this.fixedLabels!.length ? Number(key) : undefined);
      return id ?? `unknown label '${key}' (known labels: ${this.fixedLabels!.slice(0, 20).join(', ')}${this.fixedLabels!.length > 20 ? ', …' : ''})`;
    }
    let id = this.seen.get(key);
    if (id === undefined) this.seen.set(key, (id = this.seen.size));
    return id;
  }

  /** The label list, and for collected labels how provisional ids map onto it. */
  finish(): { labels: string[]; remap?: Int32Array } {
    if (this.fixedLabels) return { labels: this.fixedLabels };
    const keys = [...this.seen.keys()];
    if (this.identity && keys.every((k) => INT.test(k))) {
      const max = keys.reduce((m, k) => Math.max(m, Number(k)), -1);
      return { labels: Array.from({ length: max + 1 }, (_, i) => String(i)), remap: Int32Array.from(keys, Number) };
    }
    const labels = sortLabels(keys);
    const remap = new Int32Array(keys.length);
    labels.forEach((k, i) => (remap[this.seen.get(k)!] = i));
    return { labels, remap };
  }
}
