// Text → token ids with @huggingface/tokenizers (pure JS, reads a local tokenizer.json, no network), plus the
// truncation and padding that library leaves to the caller.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { DataError } from './errors.js';

export interface TextEncoding {
  ids: number[];
  attentionMask: number[];
  tokenTypeIds: number[];
}

export class TextTokenizer {
  private constructor(
    private readonly tok: Tokenizer,
    readonly file: string,
    readonly padId: number,
  ) {}

  /** Loads tokenizer.json, with tokenizer_config.json from the same folder when there is one. */
  static load(file: string): TextTokenizer {
    let json: any;
    let config: any = {};
    let tok: Tokenizer;
    try {
      json = JSON.parse(fs.readFileSync(file, 'utf8'));
      const configFile = path.join(path.dirname(file), 'tokenizer_config.json');
      if (fs.existsSync(configFile)) config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
      tok = new Tokenizer(json, config);
    } catch (e) {
      throw new DataError(file, `not a usable tokenizer.json: ${(e as Error).message}`);
    }
    const named = (t: unknown) => (typeof t === 'string' ? t : (t as { content?: string } | undefined)?.content);
    const padCandidates = [named(config.pad_token), '[PAD]', '<pad>', '<|pad|>', named(config.eos_token), '<|endoftext|>', '</s>'];
    const padId = json.padding?.pad_id ?? padCandidates.map((t) => (t ? tok.token_to_id(t) : undefined)).find((id) => id !== undefined) ?? 0;
    return new TextTokenizer(tok, file, padId);
  }

  /**
   * Encodes a text (and optional pair) to exactly `maxLength` tokens: special tokens added by the tokenizer's
   * post-processor, the texts truncated longest-first to make room for them, then padded on the right.
   */
  encode(text: string, pair: string | undefined, maxLength: number): TextEncoding {
    const a = this.tok.tokenize(text);
    const b = pair === undefined ? null : this.tok.tokenize(pair);
    const post = (x: string[], y: string[] | null) =>
      this.tok.post_processor ? this.tok.post_processor(x, y, true) : { tokens: [...x, ...(y ?? [])], token_type_ids: undefined };
    const budget = maxLength - post([], b && []).tokens.length;
    if (budget <= 0) throw new Error(`maxLength ${maxLength} leaves no room for text after the special tokens`);
    while (a.length + (b?.length ?? 0) > budget) {
      if (b && b.length >= a.length) b.pop();
      else a.pop();
    }
    const out: { tokens: string[]; token_type_ids?: number[] } = post(a, b);
    const ids = out.tokens.map((t) => this.idOf(t));
    const typeIds = out.token_type_ids ?? ids.map((_, i) => (b && i >= a.length ? 1 : 0));
    const pad = maxLength - ids.length;
    return {
      ids: [...ids, ...new Array(pad).fill(this.padId)],
      attentionMask: [...new Array(ids.length).fill(1), ...new Array(pad).fill(0)],
      tokenTypeIds: [...typeIds, ...new Array(pad).fill(0)],
    };
  }

  private idOf(token: string): number {
    const id = this.tok.token_to_id(token) ?? this.tok.model?.unk_token_id;
    if (id === undefined) throw new DataError(this.file, `token '${token}' is not in the vocabulary and there is no unknown token`);
    return id;
  }
}
