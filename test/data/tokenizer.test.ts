// Token ids for sample sentences, worked out by hand from the small committed vocabularies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { TextTokenizer } from '../../src/core/data/tokenizer.js';
import { DATA_FIXTURES } from './helpers.js';

const wordpiece = TextTokenizer.load(path.join(DATA_FIXTURES, 'wordpiece/tokenizer.json'));
const bpe = TextTokenizer.load(path.join(DATA_FIXTURES, 'bpe/tokenizer.json'));
const ids = (t: TextTokenizer, text: string, pair?: string, max = 32) => {
  const e = t.encode(text, pair, max);
  const n = e.attentionMask.filter(Boolean).length;
  return e.ids.slice(0, n);
};

// WordPiece vocab: 0 [PAD] 1 [UNK] 2 [CLS] 3 [SEP] 4 [MASK] 5 the 6 cat 7 sat 8 on 9 mat 10 dog 11 play 12 ##ing
// 13 ##ed 14 ##s 15 . 16 , 17 ! 18 a 19 un 20 ##believ 21 ##able 22 is 23 cafe 24 ?
test('WordPiece: lowercasing, punctuation split, [CLS]/[SEP]', () => {
  assert.deepEqual(ids(wordpiece, 'The cat sat on the mat.'), [2, 5, 6, 7, 8, 5, 9, 15, 3]);
});

test('WordPiece: greedy longest-match subwords (dog ##s, play ##ing, un ##believ ##able)', () => {
  assert.deepEqual(ids(wordpiece, 'Dogs playing!'), [2, 10, 14, 11, 12, 17, 3]);
  assert.deepEqual(ids(wordpiece, 'Unbelievable, a CAFÉ?'), [2, 19, 20, 21, 16, 18, 23, 24, 3]); // accents stripped
  assert.deepEqual(ids(wordpiece, 'the zebra'), [2, 5, 1, 3]); // unknown word → [UNK]
});

test('WordPiece: sentence pairs get [SEP] between and token type ids 0…0 1…1', () => {
  const e = wordpiece.encode('the cat', 'sat on a mat', 12);
  assert.deepEqual(e.ids, [2, 5, 6, 3, 7, 8, 18, 9, 3, 0, 0, 0]);
  assert.deepEqual(e.tokenTypeIds, [0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0]);
  assert.deepEqual(e.attentionMask, [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
});

test('WordPiece: truncation keeps the special tokens; padding uses [PAD] with mask 0', () => {
  assert.deepEqual(wordpiece.encode('The cat sat on the mat.', undefined, 6).ids, [2, 5, 6, 7, 8, 3]);
  const e = wordpiece.encode('The cat sat on the mat.', undefined, 12);
  assert.deepEqual(e.ids, [2, 5, 6, 7, 8, 5, 9, 15, 3, 0, 0, 0]);
  assert.deepEqual(e.attentionMask, [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
  // Pairs are truncated longest first: "sat on a mat" (4) loses tokens before "the cat" (2).
  assert.deepEqual(wordpiece.encode('the cat', 'sat on a mat', 8).ids, [2, 5, 6, 3, 7, 8, 18, 3]);
});

// Byte-level BPE vocab: 0 <|endoftext|>, single bytes 1-16 (! , . Ġ a d e h l o r w n t s i), then one token per
// merge in rank order: 17 he 18 ll 19 hell 20 hello 21 Ġw 22 or 23 Ġwor 24 ld 25 Ġworld 26 Ġl 27 ow 28 Ġlow
// 29 er 30 Ġt. A space becomes Ġ and sticks to the word after it.
test('BPE: merges applied by rank within each pre-token', () => {
  // hello: h·e → he, l·l → ll, he·ll → hell, hell·o → hello. " world": Ġ·w, o·r, Ġw·or, l·d, Ġwor·ld.
  assert.deepEqual(ids(bpe, 'hello world!'), [20, 25, 1]);
  // lower: o·w (rank 10) beats e·r (12): l ow e r → l ow er; no merge joins them. " hello" → Ġ + hello.
  assert.deepEqual(ids(bpe, 'lower hello'), [9, 27, 29, 4, 20]);
  // " the": h·e (0) first, then Ġ·t (13): Ġt he. "the" at the start has no Ġ: t he.
  assert.deepEqual(ids(bpe, 'hello the world'), [20, 30, 17, 25]);
  assert.deepEqual(ids(bpe, 'the low'), [14, 17, 28]);
});

test('BPE: no special tokens added; padded with <|endoftext|> (GPT-2 has no pad token)', () => {
  const e = bpe.encode('hello world!', undefined, 6);
  assert.deepEqual(e.ids, [20, 25, 1, 0, 0, 0]);
  assert.deepEqual(e.attentionMask, [1, 1, 1, 0, 0, 0]);
  assert.deepEqual(bpe.encode('hello world!', undefined, 2).ids, [20, 25]);
});

test('a broken tokenizer.json is a clear error', () => {
  assert.throws(() => TextTokenizer.load(path.join(DATA_FIXTURES, 'missing/tokenizer.json')), /not a usable tokenizer\.json/);
});
