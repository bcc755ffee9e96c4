/** A Llama-family decoder configuration, in lift-sft's own (camelCase) names. */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositionEmbeddings: number;
    };

export type ModelType = 'llama' | 'mistral' | 'qwen2';

export interface ModelConfig {
  modelType: ModelType;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  numKeyValueHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  /** Bias on q_proj, k_proj, v_proj (Qwen2 always; Llama when attention_bias). */
  qkvBias: boolean;
  /** Bias on o_proj (Llama when attention_bias). */
  oBias: boolean;
  /** Bias on gate_proj, up_proj, down_proj (Llama mlp_bias). */
  mlpBias: boolean;
  tieWordEmbeddings: boolean;
  maxPositionEmbeddings: number;
  bosTokenId: number | null;
  eosTokenId: number[];
  padTokenId: number | null;
}

/** Hugging Face parameter names of one decoder layer's linear weights, the default LIFT targets. */
export const TARGET_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type TargetModule = (typeof TARGET_MODULES)[number];

export function linearWeightName(layer: number, module: TargetModule): string {
  const block = module === 'gate_proj' || module === 'up_proj' || module === 'down_proj' ? 'mlp' : 'self_attn';
  return `model.layers.${layer}.${block}.${module}.weight`;
}

/** Shape [out, in] of a target linear weight. */
export function linearShape(config: ModelConfig, module: TargetModule): [number, number] {
  const h = config.hiddenSize;
  const q = config.numAttentionHeads * config.headDim;
  const kv = config.numKeyValueHeads * config.headDim;
  switch (module) {
    case 'q_proj':
      return [q, h];
    case 'k_proj':
    case 'v_proj':
      return [kv, h];
    case 'o_proj':
      return [h, q];
    case 'gate_proj':
    case 'up_proj':
      return [config.intermediateSize, h];
    case 'down_proj':
      return [h, config.intermediateSize];
  }
}

/** Every Hugging Face parameter name and shape of a model with this config. */
export function parameterShapes(config: ModelConfig): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const h = config.hiddenSize;
  out.set('model.embed_tokens.weight', [config.vocabSize, h]);
  for (let l = 0; l < config.numHiddenLayers; l++) {
    out.set(`model.layers.${l}.input_layernorm.weight`, [h]);
    out.set(`model.layers.${l}.post_attention_layernorm.weight`, [h]);
    for (const m of TARGET_MODULES) {
      const shape = linearShape(config, m);
      const w = linearWeightName(l, m);
      out.set(w, shape);
      const hasBias =
        (config.qkvBias && (m === 'q_proj' || m === 'k_proj' || m === 'v_proj')) ||
        (config.oBias && m === 'o_proj') ||
        (config.mlpBias && (m === 'gate_proj' || m === 'up_proj' || m === 'down_proj'));
      if (hasBias) out.set(w.replace(/\.weight$/, '.bias'), [shape[0]]);
    }
  }
  out.set('model.norm.weight', [h]);
  if (!config.tieWordEmbeddings) out.set('lm_head.weight', [config.vocabSize, h]);
  return out;
}
