/** Seeded random initialization of every parameter of a model, under Hugging Face names. */
import type { Rng } from '../rng.js';
import { type Tensor, tensor } from '../tensor.js';
import { type ModelConfig, parameterShapes } from './config.js';

export interface InitOptions {
  /** Standard deviation of the normal init (HF's initializer_range). Default 0.02. */
  std?: number;
  /**
   * Zero the embedding row of padTokenId, as HF's _init_weights does for nn.Embedding with a
   * padding_idx. Default true.
   */
  zeroPadEmbedding?: boolean;
}

/**
 * Normal(0, std) for embeddings and linear weights, 1 for norm weights, 0 for biases, drawn in
 * parameterShapes order so a seed gives the same model on every machine.
 */
export function initWeights(config: ModelConfig, rng: Rng, options: InitOptions = {}): Map<string, Tensor<'float32'>> {
  const std = options.std ?? 0.02;
  const out = new Map<string, Tensor<'float32'>>();
  for (const [name, shape] of parameterShapes(config)) {
    const t = tensor('float32', shape);
    if (name.endsWith('norm.weight')) t.data.fill(1);
    else if (!name.endsWith('.bias')) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal() * std;
    out.set(name, t);
  }
  const pad = config.padTokenId;
  if ((options.zeroPadEmbedding ?? true) && pad !== null && pad >= 0 && pad < config.vocabSize) {
    out.get('model.embed_tokens.weight')!.data.fill(0, pad * config.hiddenSize, (pad + 1) * config.hiddenSize);
  }
  return out;
}
