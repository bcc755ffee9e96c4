/** Configs and weights shared by the model tests. */
import type { ModelConfig } from '../../../src/core/model/config.js';
import { initWeights } from '../../../src/core/model/init.js';
import { Rng } from '../../../src/core/rng.js';
import type { Tensor } from '../../../src/core/tensor.js';

export function llamaConfig(over: Partial<ModelConfig> = {}): ModelConfig {
  return {
    modelType: 'llama',
    vocabSize: 50,
    hiddenSize: 64,
    intermediateSize: 96,
    numHiddenLayers: 2,
    numAttentionHeads: 4,
    numKeyValueHeads: 2,
    headDim: 16,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    // A short original context so high, medium (smoothed) and low frequencies all occur at head_dim 16.
    ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 32 },
    qkvBias: false,
    oBias: false,
    mlpBias: false,
    tieWordEmbeddings: false,
    maxPositionEmbeddings: 256,
    bosTokenId: 1,
    eosTokenId: [2],
    padTokenId: 0,
    ...over,
  };
}

export function qwen2Config(over: Partial<ModelConfig> = {}): ModelConfig {
  return llamaConfig({
    modelType: 'qwen2',
    vocabSize: 40,
    hiddenSize: 48,
    intermediateSize: 80,
    numAttentionHeads: 6,
    numKeyValueHeads: 2,
    headDim: 8,
    rmsNormEps: 1e-6,
    ropeTheta: 1000000,
    ropeScaling: { type: 'linear', factor: 2 },
    qkvBias: true,
    tieWordEmbeddings: true,
    ...over,
  });
}

/** Random weights where norms and biases are random too, so their use is checked. */
export function randomWeights(config: ModelConfig, seed: number, std = 0.15): Map<string, Tensor<'float32'>> {
  const rng = new Rng(seed);
  const w = initWeights(config, rng, { std, zeroPadEmbedding: false });
  for (const [name, t] of w) {
    if (name.endsWith('norm.weight')) for (let i = 0; i < t.data.length; i++) t.data[i] = 1 + 0.2 * rng.normal();
    else if (name.endsWith('.bias')) for (let i = 0; i < t.data.length; i++) t.data[i] = 0.1 * rng.normal();
  }
  return w;
}

export function ids(rng: Rng, batch: number, seq: number, vocab: number): number[][] {
  return Array.from({ length: batch }, () => Array.from({ length: seq }, () => rng.int(vocab)));
}

export function int64(rows: readonly (readonly number[])[]): Tensor<'int64'> {
  const b = rows.length;
  const s = rows[0]!.length;
  return { dtype: 'int64', shape: [b, s], data: BigInt64Array.from(rows.flat(), (x) => BigInt(x)) };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, keep?: (i: number) => boolean): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) if (!keep || keep(i)) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
