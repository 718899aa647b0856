// `finetune preview FILE_OR_FOLDER`: what the data looks like to the trainer, as JSON or a readable table.
import { parseArgs } from 'node:util';
import { previewDataset } from '../core/data/preview.js';
import type { ColumnSpec, Preview } from '../core/data/types.js';

const USAGE = `usage: finetune preview FILE_OR_FOLDER [--json] [--limit N] [--no-header]
                        [--text COL] [--text-pair COL] [--label COL] [--image COL] [--target COL]
                        [--validation FRACTION] [--test FRACTION]
`;
const CELL_WIDTH = 40;

export interface Output {
  write(s: string): unknown;
}

/** Runs the preview command; returns the exit code (1 for a bad file, 2 for bad arguments). */
export async function runPreview(args: string[], io: { out: Output; err: Output } = { out: process.stdout, err: process.stderr }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' }, limit: { type: 'string' }, 'no-header': { type: 'boolean' },
        text: { type: 'string' }, 'text-pair': { type: 'string' }, label: { type: 'string' }, image: { type: 'string' }, target: { type: 'string' },
        validation: { type: 'string' }, test: { type: 'string' },
      },
    });
  } catch (e) {
    io.err.write(`finetune preview: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { positionals, values: v } = parsed;
  if (positionals.length !== 1) {
    io.err.write(USAGE);
    return 2;
  }
  const limit = v.limit === undefined ? undefined : Number(v.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    io.err.write(`finetune preview: --limit must be a whole number, got '${v.limit}'\n${USAGE}`);
    return 2;
  }
  const columns: ColumnSpec = { text: v.text, textPair: v['text-pair'], label: v.label, image: v.image, target: v.target };
  let preview: Preview;
  try {
    preview = await previewDataset(positionals[0], {
      limit,
      header: v['no-header'] ? false : undefined,
      columns: Object.fromEntries(Object.entries(columns).filter(([, c]) => c !== undefined)),
      split: { validation: v.validation ? Number(v.validation) : undefined, test: v.test ? Number(v.test) : undefined },
    });
  } catch (e) {
    io.err.write(`finetune preview: ${(e as Error).message}\n`);
    return 1;
  }
  io.out.write((v.json ? JSON.stringify(preview, null, 2) : formatPreview(positionals[0], preview)) + '\n');
  if (preview.rows.length === 0) {
    io.err.write(`finetune preview: ${positionals[0]}: no usable rows (see the bad rows above)\n`);
    return 1;
  }
  return 0;
}

export function formatPreview(name: string, p: Preview): string {
  const n = p.rowCount.toLocaleString('en-US');
  const lines = [`${name}: ${p.format}, ${p.rowCountExact ? '' : '~'}${n} rows`];
  lines.push(`columns: ${p.columns.map((c) => `${c.name} (${c.role})`).join(', ')}`, '');
  const names = p.columns.map((c) => c.name);
  const cells = p.rows.map((r, i) => [String(i + 1), ...names.map((c) => show(r[c]))]);
  const table = [['#', ...names], ...cells];
  const widths = table[0].map((_, k) => Math.max(...table.map((row) => row[k].length)));
  for (const row of table) lines.push(row.map((c, k) => c.padEnd(widths[k])).join('  ').trimEnd());
  const total = Object.values(p.labelDistribution).reduce((a, b) => a + b, 0);
  if (total) {
    const dist = Object.entries(p.labelDistribution).map(([l, c]) => `${l} ${c} (${Math.round((100 * c) / total)}%)`);
    lines.push('', `labels${p.rowCountExact ? '' : ' (estimated)'}: ${dist.join(', ')}`);
  }
  if (p.splits) lines.push(`splits: ${Object.entries(p.splits).filter(([, s]) => s !== undefined).map(([k, s]) => `${k} ${s}`).join(', ')}`);
  if (p.badRows.length) {
    lines.push('', `bad rows (${p.badRows.length}${p.rowCountExact ? '' : ' in the rows read'}):`);
    for (const b of p.badRows) lines.push(`  ${p.badRowUnit} ${b.line}: ${b.reason}`);
  }
  return lines.join('\n');
}

function show(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  if (s.startsWith('data:image/')) return '[image]';
  const flat = s.replace(/\s+/g, ' ');
  return flat.length > CELL_WIDTH ? flat.slice(0, CELL_WIDTH - 1) + '…' : flat;
}
