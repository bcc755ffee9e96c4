/**
 * Hugging Face config.json ↔ ModelConfig for the Llama family (llama, mistral, qwen2).
 * Defaults are those of transformers' LlamaConfig / MistralConfig / Qwen2Config, so a config.json
 * that omits a field means what it means to transformers. JSON objects only, no file system (the
 * browser bundle parses the config it fetched); model-config.ts reads and writes the file.
 */
import { FileFormatError } from '../../core/errors.js';
import type { ModelConfig, ModelType, RopeScaling } from '../../core/model/config.js';

export const SUPPORTED_MODEL_TYPES: readonly ModelType[] = ['llama', 'mistral', 'qwen2'];

const ARCHITECTURES: Record<ModelType, string> = {
  llama: 'LlamaForCausalLM',
  mistral: 'MistralForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
};

/** transformers' per-architecture defaults for the optional fields. */
const DEFAULTS: Record<ModelType, { maxPositionEmbeddings: number; bos: number | null; eos: number[] }> = {
  llama: { maxPositionEmbeddings: 2048, bos: 1, eos: [2] },
  mistral: { maxPositionEmbeddings: 4096 * 32, bos: 1, eos: [2] },
  qwen2: { maxPositionEmbeddings: 32768, bos: null, eos: [] },
};

type Json = Record<string, unknown>;

/** Collects every problem so one error reports them all. */
class Problems {
  readonly list: string[] = [];
  constructor(private readonly json: Json) {}

  add(field: string, message: string): void {
    this.list.push(`${field}: ${message}`);
  }

  int(field: string, opts: { required?: boolean; min?: number; fallback?: number } = {}): number {
    const v = this.json[field];
    const min = opts.min ?? 1;
    if (v === undefined || v === null) {
      if (opts.required || opts.fallback === undefined) this.add(field, 'required field is missing');
      return opts.fallback ?? 0;
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      this.add(field, `must be an integer >= ${min}, got ${JSON.stringify(v)}`);
      return opts.fallback ?? 0;
    }
    return v;
  }

  positive(field: string, value: unknown, fallback: number): number {
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
      this.add(field, `must be a positive number, got ${JSON.stringify(value)}`);
      return fallback;
    }
    return value;
  }

  bool(field: string, fallback: boolean): boolean {
    const v = this.json[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') {
      this.add(field, `must be true or false, got ${JSON.stringify(v)}`);
      return fallback;
    }
    return v;
  }

  tokenId(field: string, fallback: number | null): number | null {
    const v = this.json[field];
    if (v === undefined) return fallback;
    if (v === null) return null;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      this.add(field, `must be a token id (integer >= 0) or null, got ${JSON.stringify(v)}`);
      return fallback;
    }
    return v;
  }

  tokenIds(field: string, fallback: number[]): number[] {
    const v = this.json[field];
    if (v === undefined) return fallback;
    if (v === null) return [];
    const list = Array.isArray(v) ? v : [v];
    if (!list.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)) {
      this.add(field, `must be a token id or a list of token ids, got ${JSON.stringify(v)}`);
      return fallback;
    }
    return list as number[];
  }
}

function parseRopeScaling(raw: unknown, field: string, p: Problems): RopeScaling | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    p.add(field, `must be an object or null, got ${JSON.stringify(raw)}`);
    return null;
  }
  const r = raw as Json;
  const type = r.rope_type ?? r.type;
  const num = (key: string): number => {
    const v = r[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      p.add(`${field}.${key}`, `must be a positive number, got ${JSON.stringify(v)}`);
      return 1;
    }
    return v;
  };
  switch (type) {
    case undefined:
    case 'default':
      return null;
    case 'linear':
      return { type: 'linear', factor: num('factor') };
    case 'llama3':
      return {
        type: 'llama3',
        factor: num('factor'),
        lowFreqFactor: num('low_freq_factor'),
        highFreqFactor: num('high_freq_factor'),
        originalMaxPositionEmbeddings: num('original_max_position_embeddings'),
      };
    default:
      p.add(`${field}.rope_type`, `unsupported rope scaling ${JSON.stringify(type)} (supported: linear, llama3)`);
      return null;
  }
}

/**
 * Parses a config.json object. `file` names the source in the error, which lists every bad or
 * missing field at once.
 */
export function parseModelConfig(json: unknown, file = 'config.json'): ModelConfig {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new FileFormatError('E_MODEL_CONFIG', file, 'is not a JSON object');
  }
  const j = json as Json;
  const modelType = j.model_type;
  if (typeof modelType !== 'string' || !(SUPPORTED_MODEL_TYPES as readonly string[]).includes(modelType)) {
    throw new FileFormatError(
      'E_MODEL_CONFIG',
      file,
      `model_type ${JSON.stringify(modelType)} is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`,
      { field: 'model_type' },
    );
  }
  const type = modelType as ModelType;
  const d = DEFAULTS[type];
  const p = new Problems(j);

  const vocabSize = p.int('vocab_size', { required: true });
  const hiddenSize = p.int('hidden_size', { required: true });
  const intermediateSize = p.int('intermediate_size', { required: true });
  const numHiddenLayers = p.int('num_hidden_layers', { required: true });
  const numAttentionHeads = p.int('num_attention_heads', { required: true });
  const numKeyValueHeads = p.int('num_key_value_heads', { fallback: numAttentionHeads });
  if (numAttentionHeads > 0 && numKeyValueHeads > 0 && numAttentionHeads % numKeyValueHeads !== 0) {
    p.add('num_key_value_heads', `${numKeyValueHeads} does not divide num_attention_heads ${numAttentionHeads}`);
  }
  let headDim: number;
  if (j.head_dim === undefined || j.head_dim === null) {
    headDim = numAttentionHeads > 0 ? hiddenSize / numAttentionHeads : 0;
    if (!Number.isInteger(headDim)) {
      p.add('head_dim', `missing, and hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${numAttentionHeads}`);
    }
  } else headDim = p.int('head_dim');
  if (headDim % 2 !== 0) p.add('head_dim', `must be even for rotary embeddings, got ${headDim}`);

  const act = j.hidden_act;
  if (act !== undefined && act !== 'silu' && act !== 'swish') {
    p.add('hidden_act', `only 'silu' (SwiGLU) is supported, got ${JSON.stringify(act)}`);
  }

  // transformers v5 moved rope_theta and the scaling into rope_parameters.
  const ropeParams = j.rope_parameters as Json | undefined;
  const ropeTheta = p.positive(
    ropeParams && ropeParams.rope_theta !== undefined ? 'rope_parameters.rope_theta' : 'rope_theta',
    ropeParams?.rope_theta ?? j.rope_theta,
    10000,
  );
  const ropeScaling =
    ropeParams && typeof ropeParams === 'object'
      ? parseRopeScaling(ropeParams, 'rope_parameters', p)
      : parseRopeScaling(j.rope_scaling, 'rope_scaling', p);

  let qkvBias = false;
  let oBias = false;
  let mlpBias = false;
  if (type === 'qwen2') {
    qkvBias = true; // Qwen2Attention: q/k/v Linear(bias=True), o_proj bias=False
  } else if (type === 'llama') {
    qkvBias = oBias = p.bool('attention_bias', false);
    mlpBias = p.bool('mlp_bias', false);
  }

  const config: ModelConfig = {
    modelType: type,
    vocabSize,
    hiddenSize,
    intermediateSize,
    numHiddenLayers,
    numAttentionHeads,
    numKeyValueHeads,
    headDim,
    rmsNormEps: p.positive('rms_norm_eps', j.rms_norm_eps, 1e-6),
    ropeTheta,
    ropeScaling,
    qkvBias,
    oBias,
    mlpBias,
    tieWordEmbeddings: p.bool('tie_word_embeddings', false),
    maxPositionEmbeddings: p.int('max_position_embeddings', { fallback: d.maxPositionEmbeddings }),
    bosTokenId: p.tokenId('bos_token_id', d.bos),
    eosTokenId: p.tokenIds('eos_token_id', d.eos),
    padTokenId: p.tokenId('pad_token_id', null),
  };
  if (p.list.length) {
    throw new FileFormatError('E_MODEL_CONFIG', file, `invalid model config:\n  ${p.list.join('\n  ')}`, {
      problems: p.list,
    });
  }
  return config;
}

export type TorchDtype = 'float32' | 'bfloat16' | 'float16';

function ropeScalingJson(r: RopeScaling | null): Json | null {
  if (!r) return null;
  if (r.type === 'linear') return { rope_type: 'linear', factor: r.factor };
  return {
    rope_type: 'llama3',
    factor: r.factor,
    low_freq_factor: r.lowFreqFactor,
    high_freq_factor: r.highFreqFactor,
    original_max_position_embeddings: r.originalMaxPositionEmbeddings,
  };
}

/**
 * ModelConfig → config.json object in transformers' field names. Fails when the bias layout is
 * not one the architecture can express (e.g. a Llama with q/k/v bias but no o bias).
 */
export function modelConfigToJson(config: ModelConfig, options: { torchDtype?: TorchDtype; file?: string } = {}): Json {
  const file = options.file ?? 'config.json';
  const t = config.modelType;
  const badBias = (why: string): never => {
    throw new FileFormatError('E_MODEL_CONFIG', file, `model_type ${t} cannot express ${why}`);
  };
  if (!SUPPORTED_MODEL_TYPES.includes(t)) {
    throw new FileFormatError('E_MODEL_CONFIG', file, `model_type ${JSON.stringify(t)} is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`);
  }
  if (t === 'llama' && config.qkvBias !== config.oBias) badBias('q/k/v bias without the same o_proj bias (attention_bias covers all four)');
  if (t === 'mistral' && (config.qkvBias || config.oBias || config.mlpBias)) badBias('linear biases');
  if (t === 'qwen2' && (!config.qkvBias || config.oBias || config.mlpBias)) badBias('biases other than q/k/v (Qwen2 always has exactly those)');

  const json: Json = {
    architectures: [ARCHITECTURES[t]],
    model_type: t,
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    intermediate_size: config.intermediateSize,
    num_hidden_layers: config.numHiddenLayers,
    num_attention_heads: config.numAttentionHeads,
    num_key_value_heads: config.numKeyValueHeads,
    head_dim: config.headDim,
    hidden_act: 'silu',
    max_position_embeddings: config.maxPositionEmbeddings,
    rms_norm_eps: config.rmsNormEps,
    rope_theta: config.ropeTheta,
    rope_scaling: ropeScalingJson(config.ropeScaling),
  };
  if (t === 'llama') {
    json.attention_bias = config.qkvBias;
    json.mlp_bias = config.mlpBias;
  }
  json.attention_dropout = 0;
  json.tie_word_embeddings = config.tieWordEmbeddings;
  json.bos_token_id = config.bosTokenId;
  json.eos_token_id = config.eosTokenId.length === 1 ? config.eosTokenId[0] : config.eosTokenId.length ? config.eosTokenId : null;
  json.pad_token_id = config.padTokenId;
  json.torch_dtype = options.torchDtype ?? 'float32';
  json.use_cache = true;
  return json;
}
