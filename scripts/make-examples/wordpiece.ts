// A BERT-style WordPiece tokenizer.json built from a corpus: lowercased, split on whitespace and punctuation, the
// most frequent words as whole tokens, every character (and `##` + character) as the fallback, so no word is [UNK].
const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const SUFFIXES = ['s', 'ed', 'ing', 'ly', 'er', 'ers', 'es', 'ion', 'ions', 'al', 'ment', 'ness', 'able', 'est'];

/** Roughly what BertNormalizer (lowercase, strip accents) + BertPreTokenizer produce. */
export function basicWords(text: string): string[] {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? [];
}

export function buildWordPiece(texts: string[], vocabSize: number): object {
  const counts = new Map<string, number>();
  const chars = new Set<string>();
  for (const t of texts) {
    for (const w of basicWords(t)) {
      counts.set(w, (counts.get(w) ?? 0) + 1);
      for (const c of w) chars.add(c);
    }
  }
  const vocab: string[] = [...SPECIALS];
  const seen = new Set(vocab);
  const add = (tok: string) => {
    if (!seen.has(tok)) {
      seen.add(tok);
      vocab.push(tok);
    }
  };
  const alphabet = [...chars].sort();
  for (const c of alphabet) add(c);
  for (const c of alphabet) if (/[\p{L}\p{N}]/u.test(c)) add(`##${c}`);
  for (const s of SUFFIXES) add(`##${s}`);
  const words = [...counts].filter(([w, n]) => n >= 2 && w.length > 1).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  for (const [w] of words) {
    if (vocab.length >= vocabSize) break;
    add(w);
  }
  const special = (content: string, id: number) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const tok = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
  const seq = (id: string, typeId: number) => ({ Sequence: { id, type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map(special),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [tok('[CLS]', 0), seq('A', 0), tok('[SEP]', 0)],
      pair: [tok('[CLS]', 0), seq('A', 0), tok('[SEP]', 0), seq('B', 1), tok('[SEP]', 1)],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
}
