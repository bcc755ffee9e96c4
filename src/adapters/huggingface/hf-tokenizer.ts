/**
 * core's Tokenizer over a transformers.js-shaped tokenizer (the interface below): ids without
 * special tokens added, decoding that skips them, eos / pad / bos and the vocabulary size. No
 * file system: tokenizer.ts loads one from a directory with transformers.js, tokenizer-json.ts
 * builds one from the JSON a browser fetched.
 */
import { FileFormatError } from '../../core/errors.js';
import type { Tokenizer } from '../../core/data/tokenizer.js';

/** The slice of transformers.js' PreTrainedTokenizer this adapter uses. */
export interface HfTokenizerLike {
  encode(text: string, options: { add_special_tokens: boolean }): number[];
  decode(ids: number[], options: { skip_special_tokens: boolean; clean_up_tokenization_spaces: boolean }): string;
  get_vocab(): Map<string, number> | Record<string, number>;
  readonly eos_token_id?: number;
  readonly bos_token_id?: number;
  readonly pad_token_id?: number;
  readonly all_special_ids: number[];
}

export const REQUIRED_TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json'] as const;

export class HfTokenizer implements Tokenizer {
  readonly eosTokenId: number;
  readonly padTokenId: number;
  readonly bosTokenId: number | null;
  readonly vocabSize: number;

  constructor(
    /** The transformers.js tokenizer, for anything beyond this interface (chat templates...). */
    readonly hf: HfTokenizerLike,
    readonly dir: string,
  ) {
    if (typeof hf.eos_token_id !== 'number') {
      throw new FileFormatError('E_TOKENIZER', `${dir}/tokenizer_config.json`, 'defines no eos_token known to tokenizer.json');
    }
    this.eosTokenId = hf.eos_token_id;
    this.bosTokenId = typeof hf.bos_token_id === 'number' ? hf.bos_token_id : null;
    // transformers.js already falls back to eos for a missing pad token; keep that explicit.
    this.padTokenId = typeof hf.pad_token_id === 'number' ? hf.pad_token_id : hf.eos_token_id;
    const vocab = hf.get_vocab();
    let max = -1;
    for (const id of vocab instanceof Map ? vocab.values() : Object.values(vocab)) max = Math.max(max, id);
    for (const id of hf.all_special_ids) max = Math.max(max, id);
    this.vocabSize = max + 1;
  }

  encode(text: string): number[] {
    return this.hf.encode(text, { add_special_tokens: false });
  }

  decode(ids: readonly number[]): string {
    return this.hf.decode([...ids], { skip_special_tokens: true, clean_up_tokenization_spaces: false });
  }
}
