/**
 * The model shapes the benchmarks train, their FLOP counts, and synthetic data that fills every
 * batch to exactly `seq` tokens (so one compiled shape serves every step).
 */
import { TARGET_MODULES, type ModelConfig, linearShape, linearWeightName, parameterShapes } from '../src/core/model/config.js';
import { type Tensor, tensor } from '../src/core/tensor.js';
import type { TokenizedExample } from '../src/core/data/tokenize.js';
import { Rng } from '../src/core/rng.js';

const base = {
  modelType: 'llama',
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  ropeScaling: null,
  qkvBias: false,
  oBias: false,
  mlpBias: false,
  maxPositionEmbeddings: 2048,
  bosTokenId: 1,
  eosTokenId: [2],
  padTokenId: 0,
} as const;

export interface BenchModel {
  name: string;
  config: ModelConfig;
  batch: number;
  seq: number;
}

/** A mid-sized model whose matmuls are big enough for the runtime's GEMMs to run near peak. */
export const BENCH_MODEL: BenchModel = {
  name: 'bench-29m',
  config: {
    ...base,
    eosTokenId: [2],
    vocabSize: 8192,
    hiddenSize: 512,
    intermediateSize: 1376,
    numHiddenLayers: 8,
    numAttentionHeads: 8,
    numKeyValueHeads: 8,
    headDim: 64,
    tieWordEmbeddings: false,
  },
  batch: 4,
  seq: 256,
};

/** SmolLM2-135M's shapes (HuggingFaceTB/SmolLM2-135M config.json), randomly initialized. */
export const SMOL_135M: BenchModel = {
  name: 'smollm2-135m-shape',
  config: {
    ...base,
    eosTokenId: [2],
    vocabSize: 49152,
    hiddenSize: 576,
    intermediateSize: 1536,
    numHiddenLayers: 30,
    numAttentionHeads: 9,
    numKeyValueHeads: 3,
    headDim: 64,
    ropeTheta: 100000,
    tieWordEmbeddings: true,
    maxPositionEmbeddings: 8192,
  },
  batch: 1,
  seq: 256,
};

export const MODELS: Record<string, BenchModel> = { bench: BENCH_MODEL, smol: SMOL_135M };

/** Parameters that take part in a matmul: every decoder linear plus lm_head (tied or not); not embeddings or norms. */
export function matmulParams(c: ModelConfig): number {
  let perLayer = 0;
  for (const m of TARGET_MODULES) {
    const [r, k] = linearShape(c, m);
    perLayer += r * k;
  }
  return c.numHiddenLayers * perLayer + c.vocabSize * c.hiddenSize;
}

/** Parameters of the target linears (what full fine-tuning trains). */
export function targetParams(c: ModelConfig): number {
  return matmulParams(c) - c.vocabSize * c.hiddenSize;
}

/**
 * FLOPs of one training step (forward + backward) in the MFU convention of PaLM (Chowdhery et
 * al. 2022, appendix B): 6·N per token for the weight matmuls, plus 12·L·(H·D)·S per token for
 * the two attention matmuls (QKᵀ and PV, forward 2 + backward 4 multiply-adds each). The graph
 * computes every score of the S×S matrix (the causal mask is additive), so no causal halving.
 */
export function stepFlops(c: ModelConfig, batch: number, seq: number): { total: number; dense: number; attention: number; n: number } {
  const n = matmulParams(c);
  const tokens = batch * seq;
  const dense = 6 * n * tokens;
  const attention = 12 * c.numHiddenLayers * c.numAttentionHeads * c.headDim * seq * tokens;
  return { total: dense + attention, dense, attention, n };
}

/** `count` examples of exactly `seq` tokens: a 16-token prompt (ignored) then counted response tokens. */
export function syntheticExamples(c: ModelConfig, count: number, seq: number, seed = 7): TokenizedExample[] {
  const rng = new Rng(seed);
  const prompt = Math.min(16, seq - 1);
  return Array.from({ length: count }, () => {
    const ids = Int32Array.from({ length: seq }, (_, i) => (i === 0 ? 1 : 3 + rng.int(c.vocabSize - 3)));
    const labels = Int32Array.from(ids, (t, i) => (i < prompt ? -100 : t));
    return { inputIds: ids, labels, promptLength: prompt, truncated: false };
  });
}

/**
 * Normal(0, std) fill for benchmark weights: Box–Muller using both outputs of each pair of
 * uniforms from the seeded Rng. About twice as fast as one Rng.normal() per entry, which matters
 * for the 135M-shaped model (the draws are a benchmark's input, not a run's).
 */
export function fillNormal(out: Float32Array, rng: Rng, std: number): Float32Array {
  for (let i = 0; i < out.length; i += 2) {
    let u = rng.next();
    while (u <= Number.MIN_VALUE) u = rng.next();
    const radius = std * Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * rng.next();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < out.length) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}

/** The target linears of the first `layers` layers, Normal(0, 0.02) as initWeights draws them (not the same numbers). */
export function fastInitTargets(c: ModelConfig, seed: number, layers = c.numHiddenLayers): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const out = new Map<string, Float32Array>();
  for (let l = 0; l < layers; l++) {
    for (const m of TARGET_MODULES) {
      const [r, k] = linearShape(c, m);
      out.set(linearWeightName(l, m), fillNormal(new Float32Array(r * k), rng, 0.02));
    }
  }
  return out;
}

/** Every parameter as initWeights makes it (Normal(0, 0.02), norms 1, pad embedding row 0), drawn by fillNormal. */
export function fastInitWeights(c: ModelConfig, seed: number): Map<string, Tensor<'float32'>> {
  const rng = new Rng(seed);
  const out = new Map<string, Tensor<'float32'>>();
  for (const [name, shape] of parameterShapes(c)) {
    const t = tensor('float32', shape);
    if (name.endsWith('norm.weight')) t.data.fill(1);
    else if (!name.endsWith('.bias')) fillNormal(t.data, rng, 0.02);
    out.set(name, t);
  }
  const pad = c.padTokenId;
  if (pad !== null && pad >= 0 && pad < c.vocabSize) out.get('model.embed_tokens.weight')!.data.fill(0, pad * c.hiddenSize, (pad + 1) * c.hiddenSize);
  return out;
}
