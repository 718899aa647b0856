// The class names a model carries in its ONNX metadata_props, so string labels map onto the outputs they name.
import type { ModelProto } from 'onnx-buf';

/**
 * Keys read, first match wins:
 * - `labels` (our own export: a JSON list in output order), `classes`, `class_names`, `names`: a JSON list, a JSON
 *   object {"0": "cat", …}, a Python dict repr {0: 'cat', …} (Ultralytics writes `names` so), or a comma- or
 *   newline-separated list;
 * - `id2label` (Hugging Face config form, as optimum and others copy it): a JSON object {"0": "NEGATIVE", …};
 * - `label2id`: the inverse JSON object {"NEGATIVE": 0, …}.
 * A value that reads as none of these, or leaves an output index without a name, is ignored (undefined).
 */
export function modelLabelNames(model: ModelProto): string[] | undefined {
  const props = new Map(model.metadataProps.map((p) => [p.key, p.value]));
  for (const key of ['labels', 'classes', 'class_names', 'names', 'id2label']) {
    const value = props.get(key);
    const names = value === undefined ? undefined : parseNames(value);
    if (names) return names;
  }
  const inverse = props.get('label2id');
  const object = inverse === undefined ? undefined : parseJson(inverse);
  if (object && typeof object === 'object' && !Array.isArray(object)) {
    return byIndex(Object.entries(object as Record<string, unknown>).map(([name, id]) => [id, name]));
  }
  return undefined;
}

function parseNames(value: string): string[] | undefined {
  const json = parseJson(value);
  if (Array.isArray(json)) return json.length && json.every((n) => typeof n === 'string' || typeof n === 'number') ? json.map(String) : undefined;
  if (json && typeof json === 'object') return byIndex(Object.entries(json as Record<string, unknown>));
  const text = value.trim();
  if (text.startsWith('{')) {
    const pairs = [...text.matchAll(/(\d+)\s*:\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")/g)].map((m) => [m[1], m[2] ?? m[3]] as [string, string]);
    return byIndex(pairs);
  }
  const parts = text.split(text.includes('\n') ? /\r?\n/ : ',').map((s) => s.trim());
  return parts.length > 1 && parts.every(Boolean) ? parts : undefined;
}

/** [index, name] pairs → names in index order; undefined unless the indices are exactly 0..n-1. */
function byIndex(pairs: [unknown, unknown][]): string[] | undefined {
  const names: string[] = [];
  for (const [id, name] of pairs) {
    const i = Number(id);
    if (!Number.isInteger(i) || i < 0 || i >= pairs.length || typeof name !== 'string' && typeof name !== 'number') return undefined;
    names[i] = String(name);
  }
  return names.length && names.every((n) => n !== undefined) && names.length === pairs.length ? names : undefined;
}

function parseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}
