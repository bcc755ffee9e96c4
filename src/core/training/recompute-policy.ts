/**
 * The run config's `recompute: 'auto'`: recompute each decoder layer's activations in the backward
 * ('layers') when the activations a step would otherwise keep are large, keep them ('none') when
 * they are small. The decision is made once per run from the model config and the run's largest
 * batch (batchSize × data.maxLength), before any graph is built, so every compiled shape of a run
 * uses the same graph form.
 */
import type { ModelConfig } from '../model/config.js';

/**
 * Stored activations at or above this many bytes (estimate below) make 'auto' recompute. See
 * docs/performance.md ("Memory: recomputation, frozen weights, arena"): both bench models sit
 * above it (bench-29m ≈ 508 MiB, 135M shape ≈ 489 MiB at their bench batches) where 'layers'
 * saved 126–404 MiB of peak; the bundled fixture model (≤ 222 MiB at batch 8 × 256 tokens) and
 * every test run stay below it, on 'none'.
 */
export const AUTO_RECOMPUTE_MIN_BYTES = 256 * 2 ** 20;

/**
 * Floats per token and decoder layer that the backward reads when nothing is recomputed: six
 * hidden-size vectors (layer input, two norms and their outputs, attention output projection),
 * q three times (projection, RoPE, attention output), k and v twice each (projection, RoPE or
 * repeat), the attention scores and probabilities (heads × sequence), and four MLP vectors of
 * intermediate size (gate, up, SiLU, product). A float32 estimate of what 'layers' frees; not
 * exact (the runtime fuses and frees some), but it scales as the real buffers do.
 */
export function activationFloatsPerToken(config: ModelConfig, seqLen: number): number {
  const h = config.hiddenSize;
  const q = config.numAttentionHeads * config.headDim;
  const kv = config.numKeyValueHeads * config.headDim;
  return 6 * h + 3 * q + 4 * kv + 2 * config.numAttentionHeads * seqLen + 4 * config.intermediateSize;
}

/** Estimated bytes of activations a training step of `batch` × `seqLen` tokens keeps for the backward. */
export function activationBytes(config: ModelConfig, batch: number, seqLen: number): number {
  return 4 * config.numHiddenLayers * batch * seqLen * activationFloatsPerToken(config, seqLen);
}

/**
 * 'auto' recomputes only runs that train at most this fraction of the model's values (LIFT, LoRA,
 * sparse baselines): there activations are most of the peak, and 'layers' cut the 135M-shaped
 * LIFT run's peak by 22% for 6% more step time. A run that trains every weight holds gradients
 * and two moments per weight besides, so recomputation buys little of its peak at a high price
 * (135M shape, full FT: −4% peak for +35% step time; bench-29m: −19% for +16%,
 * docs/performance.md); such runs keep their activations unless they ask for 'layers'.
 */
export const AUTO_RECOMPUTE_MAX_TRAINABLE = 0.25;

/**
 * The recomputation a run uses: 'layers' and 'none' as asked; 'auto' → 'layers' when the estimate
 * above reaches AUTO_RECOMPUTE_MIN_BYTES and the run trains at most AUTO_RECOMPUTE_MAX_TRAINABLE
 * of the model's values (`trainableFraction`, trainable values / model values).
 */
export function resolveRecompute(
  mode: 'auto' | 'layers' | 'none',
  config: ModelConfig,
  batch: number,
  seqLen: number,
  trainableFraction = 0,
): 'layers' | 'none' {
  if (mode !== 'auto') return mode;
  const large = activationBytes(config, batch, seqLen) >= AUTO_RECOMPUTE_MIN_BYTES;
  return large && trainableFraction <= AUTO_RECOMPUTE_MAX_TRAINABLE ? 'layers' : 'none';
}
