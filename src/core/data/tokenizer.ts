/** What the data pipeline needs from a tokenizer; adapters (Hugging Face) implement it. */
export interface Tokenizer {
  /** Token ids of `text` with no special tokens added (no bos, no eos). */
  encode(text: string): number[];
  /** Text of `ids`; special tokens (bos, eos, pad) are dropped. */
  decode(ids: readonly number[]): string;
  readonly eosTokenId: number;
  /** Padding id; tokenizers without a pad token use eos (padding is masked out anyway). */
  readonly padTokenId: number;
  /** Prepended to every example when not null (Llama); Qwen2-style tokenizers have none. */
  readonly bosTokenId: number | null;
  /** One more than the largest token id. */
  readonly vocabSize: number;
}
