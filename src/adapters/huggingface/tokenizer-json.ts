/**
 * A tokenizer from the parsed contents of tokenizer.json and tokenizer_config.json, for hosts
 * without a file system (the browser bundle fetches both files). It runs tokenizers.js, the
 * library transformers.js' PreTrainedTokenizer wraps, without transformers.js and its ONNX
 * Runtime: the same ids and text as loadTokenizer for PreTrainedTokenizer-based classes (a test
 * checks every record of the bundled datasets).
 */
import { Tokenizer as TokenizersJs } from '@huggingface/tokenizers';
import { FileFormatError } from '../../core/errors.js';
import { HfTokenizer, type HfTokenizerLike } from './hf-tokenizer.js';

/** A special token's text as tokenizer_config.json gives it: a string or an AddedToken object. */
function tokenText(config: Record<string, unknown>, key: string): string | undefined {
  const v = config[key];
  if (typeof v === 'string' && v) return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

/** `source` names the tokenizer in errors (a URL, a directory). */
export function tokenizerFromJson(tokenizerJson: unknown, tokenizerConfig: unknown, source: string): HfTokenizer {
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(tokenizerJson)) throw new FileFormatError('E_TOKENIZER', `${source}/tokenizer.json`, 'is not a JSON object');
  if (!isObject(tokenizerConfig)) throw new FileFormatError('E_TOKENIZER', `${source}/tokenizer_config.json`, 'is not a JSON object');
  let tk: TokenizersJs;
  try {
    tk = new TokenizersJs(tokenizerJson, tokenizerConfig);
  } catch (e) {
    throw new FileFormatError('E_TOKENIZER', `${source}/tokenizer.json`, `cannot build the tokenizer: ${(e as Error).message}`);
  }
  const id = (key: string) => {
    const text = tokenText(tokenizerConfig, key);
    return text === undefined ? undefined : tk.token_to_id(text);
  };
  const eos = id('eos_token');
  const bos = id('bos_token');
  const pad = id('pad_token');
  const like: HfTokenizerLike = {
    encode: (text, o) => tk.encode(text, { add_special_tokens: o.add_special_tokens }).ids,
    decode: (ids, o) => tk.decode(ids, o),
    get_vocab: () => tk.get_vocab(),
    ...(eos !== undefined ? { eos_token_id: eos } : {}),
    ...(bos !== undefined ? { bos_token_id: bos } : {}),
    // transformers.js falls back to eos for a missing pad token; HfTokenizer does the same.
    ...(pad !== undefined ? { pad_token_id: pad } : {}),
    all_special_ids: [...tk.get_added_tokens_decoder()].filter(([, t]) => t.special).map(([i]) => i),
  };
  return new HfTokenizer(like, source);
}
