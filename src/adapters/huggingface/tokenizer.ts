/**
 * Tokenizers from a local model directory through @huggingface/transformers' AutoTokenizer,
 * wrapped in core's Tokenizer interface. Never touches the network: remote models are disabled
 * and the directory is read with local_files_only.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FileFormatError } from '../../core/errors.js';
import type { Tokenizer } from '../../core/data/tokenizer.js';

/** The slice of transformers.js' PreTrainedTokenizer this adapter uses. */
interface HfTokenizerLike {
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
      throw new FileFormatError('E_TOKENIZER', join(dir, 'tokenizer_config.json'), 'defines no eos_token known to tokenizer.json');
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

/** Loads the tokenizer of a local model directory (tokenizer.json + tokenizer_config.json). */
export async function loadTokenizer(dir: string): Promise<HfTokenizer> {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new FileFormatError('E_TOKENIZER', abs, 'is not a directory with tokenizer files');
  }
  for (const f of REQUIRED_TOKENIZER_FILES) {
    if (!existsSync(join(abs, f))) {
      throw new FileFormatError('E_TOKENIZER', join(abs, f), `not found; a tokenizer directory needs ${REQUIRED_TOKENIZER_FILES.join(' and ')}`);
    }
  }
  // Loaded on demand: transformers.js pulls in onnxruntime and sharp, which most users of this
  // module (safetensors, config) never need.
  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  // An absolute path is never taken for a hub id, so localModelPath is not joined in front of it.
  // No caches: reads of a local directory must see the files as they are now.
  env.useFSCache = false;
  env.useBrowserCache = false;
  try {
    const hf = (await AutoTokenizer.from_pretrained(abs, { local_files_only: true })) as unknown as HfTokenizerLike;
    return new HfTokenizer(hf, abs);
  } catch (e) {
    if (e instanceof FileFormatError) throw e;
    throw new FileFormatError('E_TOKENIZER', abs, `cannot load the tokenizer: ${(e as Error).message}`);
  }
}
