/**
 * A model directory in Hugging Face layout: config.json plus model.safetensors (or shards with
 * model.safetensors.index.json), and the tokenizer files next to them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { FileFormatError } from '../../core/errors.js';
import type { ModelConfig } from '../../core/model/config.js';
import type { Tensor } from '../../core/tensor.js';
import { readModelConfig, writeModelConfig, type TorchDtype } from './model-config.js';
import { readSafetensors, readShardedSafetensors, writeSafetensors, type SafetensorsWriteDType } from './safetensors.js';
import { checkWeights } from './model-weights.js';

export { checkWeights } from './model-weights.js';

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const WEIGHTS_INDEX_FILE = 'model.safetensors.index.json';
/** Tokenizer files copied with the weights, so the saved directory is a complete, loadable model. */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'tokenizer.model'] as const;

export interface ModelDir {
  config: ModelConfig;
  weights: Map<string, Tensor<'float32'>>;
}

/** Loads config.json and the weights (single file or sharded) as float32, checked against the config. */
export function loadModelDir(dir: string): ModelDir {
  const config = readModelConfig(join(dir, CONFIG_FILE));
  const single = join(dir, WEIGHTS_FILE);
  const index = join(dir, WEIGHTS_INDEX_FILE);
  let weights: Map<string, Tensor<'float32'>>;
  let source: string;
  if (existsSync(single)) {
    weights = readSafetensors(single);
    source = single;
  } else if (existsSync(index)) {
    weights = readShardedSafetensors(index);
    source = index;
  } else {
    throw new FileFormatError('E_SAFETENSORS', dir, `has neither ${WEIGHTS_FILE} nor ${WEIGHTS_INDEX_FILE}`);
  }
  return { config, weights: checkWeights(config, weights, source) };
}

export interface SaveModelDirOptions {
  /** Stored weight dtype; default F32. */
  dtype?: SafetensorsWriteDType;
  /** A directory whose tokenizer files (those present of TOKENIZER_FILES) are copied alongside. */
  tokenizerFrom?: string;
}

const TORCH_DTYPE: Record<SafetensorsWriteDType, TorchDtype> = { F32: 'float32', BF16: 'bfloat16', F16: 'float16' };

/**
 * Writes config.json, model.safetensors and the tokenizer files, each atomically. Weights are
 * checked first, so a bad map leaves the directory untouched; config.json is written last, so a
 * directory with a fresh config.json has its weights in place.
 */
export function saveModelDir(
  dir: string,
  config: ModelConfig,
  weights: ReadonlyMap<string, Tensor<'float32'>>,
  options: SaveModelDirOptions = {},
): void {
  const dtype = options.dtype ?? 'F32';
  const checked = checkWeights(config, weights, join(dir, WEIGHTS_FILE));
  if (options.tokenizerFrom) {
    for (const f of TOKENIZER_FILES) {
      const src = join(options.tokenizerFrom, f);
      if (existsSync(src) && resolve(dir, f) !== resolve(src)) writeFileAtomic(join(dir, f), readFileSync(src));
    }
  }
  writeSafetensors(join(dir, WEIGHTS_FILE), checked, { dtype });
  writeModelConfig(join(dir, CONFIG_FILE), config, { torchDtype: TORCH_DTYPE[dtype] });
}
