/**
 * Tokenizers from a local model directory through @huggingface/transformers' AutoTokenizer,
 * wrapped in core's Tokenizer interface. Never touches the network: remote models are disabled
 * and the directory is read with local_files_only.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FileFormatError } from '../../core/errors.js';
import { HfTokenizer, REQUIRED_TOKENIZER_FILES, type HfTokenizerLike } from './hf-tokenizer.js';

export { HfTokenizer, REQUIRED_TOKENIZER_FILES, type HfTokenizerLike } from './hf-tokenizer.js';

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
    // transformers.js reports a broken file without naming it: check each one here first
    checkJsonObject(join(abs, f));
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
    // both files are valid JSON objects by now: what transformers.js rejects is tokenizer.json's content
    throw new FileFormatError('E_TOKENIZER', join(abs, 'tokenizer.json'), `cannot load the tokenizer (with tokenizer_config.json): ${(e as Error).message}`);
  }
}

/** A tokenizer file must be readable UTF-8 JSON holding an object; anything else names the file. */
function checkJsonObject(file: string): void {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(file)));
  } catch (e) {
    throw new FileFormatError('E_TOKENIZER', file, `is not valid JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new FileFormatError('E_TOKENIZER', file, 'is not a JSON object');
}
