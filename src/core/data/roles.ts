// Guessing what each column is for, the way Hugging Face AutoTrain does: by name first, then by values
// (a string column of long values is text; a low-cardinality column is the label).
import type { ColumnInfo, ColumnRole, ColumnSpec, Task } from './types.js';
import { toNumber } from './cells.js';
import type { Row } from './formats/table.js';

const LABEL_NAMES = /^(labels?|class|classes|category|categories|target|targets|y|sentiment|intent|tag|score|rating)$/i;
const TEXT_NAMES = /^(text|texts|sentence|sentence1|sentence_1|content|review|document|question|question1|premise|prompt|body|comment|tweet|utterance|query|input|text_a)$/i;
const PAIR_NAMES = /^(text_pair|text2|text_b|sentence2|sentence_2|hypothesis|question2|passage|context)$/i;
const TENSOR_NAMES = /^(input_ids|attention_mask|token_type_ids|position_ids|pixel_values)$/;
const IMAGE_PATH = /\.(png|jpe?g)$/i;

/** Longer than this on average, a string column is text rather than a category. */
const TEXT_MIN_LENGTH = 20;
/** At most this many distinct values (and at most half the rows) make a column a label candidate. */
const MAX_CLASSES = 100;

interface Stats {
  name: string;
  n: number;
  distinct: number;
  numeric: boolean;
  integer: boolean;
  array: boolean;
  image: boolean;
  string: boolean;
  avgLength: number;
}

/** Whether a cell holds an image: a path to a PNG/JPEG, or encoded bytes (Hugging Face's `{bytes, path}`). */
export function isImageCell(v: unknown): boolean {
  if (typeof v === 'string') return IMAGE_PATH.test(v);
  if (v instanceof Uint8Array) return true;
  return typeof v === 'object' && v !== null && ((v as { bytes?: unknown }).bytes instanceof Uint8Array || IMAGE_PATH.test(String((v as { path?: unknown }).path ?? '')));
}

function stats(name: string, sample: Row[]): Stats {
  const values = sample.map((r) => r[name]).filter((v) => v !== undefined && v !== null && v !== '');
  const nums = values.map(toNumber);
  const strings = values.filter((v): v is string => typeof v === 'string');
  return {
    name,
    n: values.length,
    distinct: new Set(values.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v)))).size,
    numeric: values.length > 0 && nums.every((x) => x !== undefined),
    integer: values.length > 0 && nums.every((x) => x !== undefined && Number.isInteger(x)),
    array: values.length > 0 && values.every(Array.isArray),
    image: values.length > 0 && values.every(isImageCell),
    string: values.length > 0 && strings.length === values.length,
    avgLength: strings.length ? strings.reduce((s, v) => s + v.length, 0) / strings.length : 0,
  };
}

// Values repeat: at most half as many distinct values as rows (any repeat in a tiny sample).
const lowCardinality = (s: Stats) => s.n > 0 && s.distinct <= MAX_CLASSES && (s.distinct <= Math.max(2, s.n / 2) || (s.n <= 4 && s.distinct < s.n));
/** A few short values that repeat: a label candidate, also in a tiny file (three classes in five rows). Unsure when
 * values barely repeat (four distinct in five rows). */
const labelLike = (s: Stats): 'sure' | 'unsure' | undefined => {
  if (s.n === 0 || s.array || !(s.string || s.integer) || s.avgLength >= TEXT_MIN_LENGTH || s.distinct > MAX_CLASSES || s.distinct >= s.n) return undefined;
  if (lowCardinality(s) || (s.n <= 10 && s.distinct <= Math.ceil(s.n * 0.6))) return 'sure';
  return s.distinct <= Math.ceil(s.n * 0.8) ? 'unsure' : undefined;
};

/**
 * Roles for every column. `override` (the experiment file's `columns`) and `ignore` (columns set aside) win; `modelInputs` are the names of
 * the model's inputs (columns with those names are pre-tokenized inputs); `task` says whether a label, a
 * regression target or neither is wanted (unknown in a plain preview: then guessed from the values).
 */
export function inferRoles(columns: string[], sample: Row[], opts: { override?: ColumnSpec; task?: Task; modelInputs?: string[]; ignore?: string[] } = {}): ColumnInfo[] {
  const role = new Map<string, ColumnRole>();
  const unsure = new Set<string>();
  const o = opts.override ?? {};
  for (const c of opts.ignore ?? []) role.set(c, 'ignore');
  if (o.text) role.set(o.text, 'text');
  if (o.textPair) role.set(o.textPair, 'text_pair');
  if (o.image) role.set(o.image, 'image');
  if (o.label) role.set(o.label, 'label');
  for (const t of [o.target ?? []].flat()) role.set(t, 'target');

  const free = () => columns.filter((c) => !role.has(c)).map((c) => stats(c, sample));
  const has = (r: ColumnRole) => [...role.values()].includes(r);

  for (const s of free()) {
    if (opts.modelInputs ? opts.modelInputs.includes(s.name) : s.array && TENSOR_NAMES.test(s.name)) role.set(s.name, 'input');
  }
  if (!has('image')) {
    const img = free().find((s) => s.image);
    if (img) role.set(img.name, 'image');
  }
  if (!has('label') && !has('target') && opts.task !== 'causal-lm') {
    const cands = free().filter((s) => !s.array && s.n > 0);
    const named = cands.find((s) => LABEL_NAMES.test(s.name));
    const isTarget = (s: Stats) => opts.task === 'regression' || (opts.task === undefined && s.numeric && !s.integer && !lowCardinality(s));
    if (opts.task === 'regression') {
      const t = named?.numeric ? named : [...cands].reverse().find((s) => s.numeric);
      if (t) role.set(t.name, 'target');
    } else if (named && (opts.task === 'classification' || lowCardinality(named) || labelLike(named) || isTarget(named))) {
      role.set(named.name, isTarget(named) ? 'target' : 'label');
    } else {
      // Labels usually come last, and ids or texts never repeat: the last column whose values repeat most surely.
      const sure = cands.filter((s) => labelLike(s) === 'sure');
      const l = sure.at(-1) ?? cands.filter((s) => labelLike(s) === 'unsure').at(-1);
      if (l) {
        role.set(l.name, 'label');
        if (sure.length !== 1 || labelLike(l) !== 'sure') unsure.add(l.name);
      }
    }
  }
  if (!has('text') && !has('input') && !has('image')) {
    const strings = free().filter((s) => s.string && !s.numeric);
    const t = strings.find((s) => TEXT_NAMES.test(s.name)) ?? [...strings].sort((a, b) => b.avgLength - a.avgLength)[0];
    if (t && (t.avgLength >= TEXT_MIN_LENGTH || !lowCardinality(t) || TEXT_NAMES.test(t.name))) role.set(t.name, 'text');
  }
  if (has('text') && !has('text_pair')) {
    const p = free().find((s) => s.string && PAIR_NAMES.test(s.name));
    if (p) role.set(p.name, 'text_pair');
  }
  for (const s of free()) role.set(s.name, s.numeric || (s.array && !has('input')) ? 'feature' : 'ignore');
  return columns.map((name) => ({ name, role: role.get(name)!, ...(unsure.has(name) ? { unsure: true } : {}) }));
}

/** The columns with a role, by role. */
export function byRole(columns: ColumnInfo[]) {
  const all = (r: ColumnRole) => columns.filter((c) => c.role === r).map((c) => c.name);
  return {
    text: all('text')[0], textPair: all('text_pair')[0], image: all('image')[0], label: all('label')[0],
    target: all('target'), features: all('feature'), inputs: all('input'),
  };
}
