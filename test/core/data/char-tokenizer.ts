import type { Tokenizer } from '../../../src/core/data/tokenizer.js';

/** One token per character (code point + 4); ids 0..3 are special. Lengths are easy to reason about. */
export class CharTokenizer implements Tokenizer {
  readonly eosTokenId = 2;
  readonly padTokenId = 3;
  readonly vocabSize = 0x110000 + 4;

  constructor(readonly bosTokenId: number | null = 1) {}

  encode(text: string): number[] {
    return [...text].map((c) => c.codePointAt(0)! + 4);
  }

  decode(ids: readonly number[]): string {
    return ids.filter((id) => id >= 4).map((id) => String.fromCodePoint(id - 4)).join('');
  }
}
