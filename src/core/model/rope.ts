/**
 * Rotary position embedding tables, computed on the host and embedded in the graph.
 *
 * Hugging Face computes inv_freq, the angles and cos/sin in float32. For float32 graphs every
 * step here is rounded to float32 (Math.fround) in the same order, so long positions agree with
 * transformers and not merely with exact arithmetic (at position 4096 an angle carries ~2e-4 of
 * float32 rounding, enough to show in logits). For float64 graphs the tables are exact.
 */
import { type Tensor, tensor } from '../tensor.js';
import type { ModelConfig } from './config.js';

export type TablePrecision = 'float32' | 'float64';

const identity = (x: number) => x;

/**
 * inv_freq[i] = theta^(−2i/head_dim) for i < head_dim/2, with rope_scaling applied:
 * 'linear' divides every frequency by the factor (the same as dividing positions by it);
 * 'llama3' is HF's _compute_llama3_parameters (long wavelengths divided by the factor, short ones
 * kept, a smooth blend in between).
 */
export function ropeInvFreq(config: ModelConfig, precision: TablePrecision = 'float64'): Float64Array {
  const r = precision === 'float32' ? Math.fround : identity;
  const dim = config.headDim;
  const half = dim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = r(1 / r(Math.pow(r(config.ropeTheta), r((2 * i) / dim))));
  const s = config.ropeScaling;
  if (!s) return inv;
  if (s.type === 'linear') {
    for (let i = 0; i < half; i++) inv[i] = r(inv[i]! / r(s.factor));
    return inv;
  }
  const lowWavelen = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const highWavelen = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  for (let i = 0; i < half; i++) {
    const f = inv[i]!;
    const wavelen = r((2 * Math.PI) / f);
    const scaled = wavelen > lowWavelen ? r(f / s.factor) : f;
    if (wavelen < highWavelen || wavelen > lowWavelen) {
      inv[i] = scaled;
    } else {
      const smooth = r(r(r(s.originalMaxPositionEmbeddings / wavelen) - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor));
      inv[i] = r(r(r(r(1 - smooth) * scaled) / s.factor) + r(smooth * scaled));
    }
  }
  return inv;
}

export interface RopeTables {
  /** [positions, head_dim]: cos(pos·inv_freq) repeated over both halves (HF's emb = cat(freqs, freqs)). */
  cos: Tensor<'float32' | 'float64'>;
  /**
   * [positions, head_dim]: sin with the rotate-half sign folded in: (−sin, +sin) over the two
   * halves. Then rotate_half(x)·sin = swap_halves(x)·sinSigned, which saves a Neg per use.
   */
  sinSigned: Tensor<'float32' | 'float64'>;
}

/**
 * cos/sin tables for positions 0..positions−1, each multiplied by `scale` (the query side folds
 * the attention scale 1/sqrt(head_dim) in here, so no op scales the scores).
 */
export function ropeTables(config: ModelConfig, positions: number, dtype: TablePrecision, scale = 1): RopeTables {
  const r = dtype === 'float32' ? Math.fround : identity;
  const inv = ropeInvFreq(config, dtype);
  const dim = config.headDim;
  const half = dim / 2;
  const make = () => (dtype === 'float32' ? new Float32Array(positions * dim) : new Float64Array(positions * dim));
  const cos = make();
  const sin = make();
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = r(p * inv[i]!);
      const c = r(Math.cos(angle)) * scale;
      const sn = r(Math.sin(angle)) * scale;
      cos[p * dim + i] = c;
      cos[p * dim + half + i] = c;
      sin[p * dim + i] = -sn;
      sin[p * dim + half + i] = sn;
    }
  }
  return {
    cos: tensor(dtype, [positions, dim], cos as never) as Tensor<'float32' | 'float64'>,
    sinSigned: tensor(dtype, [positions, dim], sin as never) as Tensor<'float32' | 'float64'>,
  };
}
