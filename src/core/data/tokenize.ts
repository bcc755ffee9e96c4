/**
 * Turns SFT records into token ids and labels. Prompt and response are tokenized separately, so
 * the boundary between them is exact whatever the tokenizer merges across it.
 */
import { InvalidArgumentError } from '../errors.js';
import type { SftRecord } from './record.js';
import { ALPACA_TEMPLATE, formatPrompt, type PromptTemplate } from './template.js';
import type { Tokenizer } from './tokenizer.js';

/** Label of tokens the loss ignores (PyTorch's cross-entropy ignore_index). */
export const IGNORE_INDEX = -100;

export interface TokenizedExample {
  /** [bos] prompt response eos, possibly truncated at the end. */
  inputIds: Int32Array;
  /**
   * Same length as inputIds: IGNORE_INDEX on bos and prompt, the token id on response and eos.
   * Not shifted: the model's loss shifts (position t predicts token t+1), as in Hugging Face.
   */
  labels: Int32Array;
  /** Tokens before the response (bos + prompt), after truncation. */
  promptLength: number;
  /** Whether the end was cut to fit maxLength. */
  truncated: boolean;
}

export interface TokenizeOptions {
  template?: PromptTemplate;
  /** Longest sequence kept; longer examples lose their end (response tail and eos). */
  maxLength?: number;
}

/**
 * Tokenizes one record. Truncation keeps the start: the prompt stays whole when it fits and the
 * response is cut from its end (its eos goes first), since a prompt without its question cannot
 * be learned from. A prompt that alone reaches maxLength leaves no response tokens.
 */
export function tokenizeExample(record: SftRecord, tokenizer: Tokenizer, options: TokenizeOptions = {}): TokenizedExample {
  const prompt = tokenizer.encode(formatPrompt(record, options.template ?? ALPACA_TEMPLATE));
  const response = tokenizer.encode(record.output);
  const bos = tokenizer.bosTokenId === null ? [] : [tokenizer.bosTokenId];
  const full = bos.length + prompt.length + response.length + 1;
  const maxLength = options.maxLength ?? Infinity;
  if (!(maxLength >= 1)) throw new InvalidArgumentError(`maxLength must be >= 1, got ${maxLength}`);
  const n = Math.min(full, maxLength);
  const inputIds = new Int32Array(n);
  const labels = new Int32Array(n).fill(IGNORE_INDEX);
  let i = 0;
  const put = (id: number, label: boolean): void => {
    if (i >= n) return;
    inputIds[i] = id;
    if (label) labels[i] = id;
    i++;
  };
  for (const id of bos) put(id, false);
  for (const id of prompt) put(id, false);
  const promptLength = i;
  for (const id of response) put(id, true);
  put(tokenizer.eosTokenId, true);
  return { inputIds, labels, promptLength, truncated: n < full };
}

export interface TokenizedDataset {
  examples: TokenizedExample[];
  /** Index into the input records of each example. */
  recordIndex: number[];
  /** Examples cut to maxLength (kept). */
  truncated: number;
  /** Records dropped because truncation left no response token to learn from. */
  dropped: number;
}

export function tokenizeDataset(
  records: readonly SftRecord[],
  tokenizer: Tokenizer,
  options: TokenizeOptions = {},
): TokenizedDataset {
  const out: TokenizedDataset = { examples: [], recordIndex: [], truncated: 0, dropped: 0 };
  records.forEach((r, idx) => {
    const ex = tokenizeExample(r, tokenizer, options);
    if (ex.promptLength >= ex.inputIds.length) {
      out.dropped++;
      return;
    }
    if (ex.truncated) out.truncated++;
    out.examples.push(ex);
    out.recordIndex.push(idx);
  });
  return out;
}
