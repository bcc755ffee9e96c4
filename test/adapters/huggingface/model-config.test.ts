import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  modelConfigToJson,
  parseModelConfig,
  readModelConfig,
  writeModelConfig,
} from '../../../src/adapters/huggingface/model-config.js';
import { FileFormatError } from '../../../src/core/errors.js';
import type { ModelConfig } from '../../../src/core/model/config.js';

/** TinyLlama-1.1B's config.json: Llama with grouped-query attention (32 heads, 4 kv heads). */
const TINYLLAMA = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  bos_token_id: 1,
  eos_token_id: 2,
  hidden_act: 'silu',
  hidden_size: 2048,
  initializer_range: 0.02,
  intermediate_size: 5632,
  max_position_embeddings: 2048,
  model_type: 'llama',
  num_attention_heads: 32,
  num_hidden_layers: 22,
  num_key_value_heads: 4,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_scaling: null,
  rope_theta: 10000.0,
  tie_word_embeddings: false,
  torch_dtype: 'bfloat16',
  transformers_version: '4.35.0',
  use_cache: true,
  vocab_size: 32000,
};

/** Llama-3.2-1B: llama3 rope scaling, tied embeddings, several eos ids. */
const LLAMA32 = {
  ...TINYLLAMA,
  hidden_size: 2048,
  intermediate_size: 8192,
  num_hidden_layers: 16,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  head_dim: 64,
  max_position_embeddings: 131072,
  rope_theta: 500000.0,
  rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
  tie_word_embeddings: true,
  bos_token_id: 128000,
  eos_token_id: [128001, 128008, 128009],
  vocab_size: 128256,
};

/** Qwen2.5-0.5B's config.json: q/k/v bias (implicit), tied embeddings. */
const QWEN25 = {
  architectures: ['Qwen2ForCausalLM'],
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151643,
  hidden_act: 'silu',
  hidden_size: 896,
  initializer_range: 0.02,
  intermediate_size: 4864,
  max_position_embeddings: 32768,
  max_window_layers: 24,
  model_type: 'qwen2',
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  sliding_window: 32768,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.40.1',
  use_cache: true,
  use_sliding_window: false,
  vocab_size: 151936,
};

/** Mistral-7B-v0.1's config.json. */
const MISTRAL = {
  architectures: ['MistralForCausalLM'],
  bos_token_id: 1,
  eos_token_id: 2,
  hidden_act: 'silu',
  hidden_size: 4096,
  initializer_range: 0.02,
  intermediate_size: 14336,
  max_position_embeddings: 32768,
  model_type: 'mistral',
  num_attention_heads: 32,
  num_hidden_layers: 32,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-5,
  rope_theta: 10000.0,
  sliding_window: 4096,
  tie_word_embeddings: false,
  torch_dtype: 'bfloat16',
  transformers_version: '4.34.0.dev0',
  use_cache: true,
  vocab_size: 32000,
};

function expectConfigError(json: unknown, ...parts: string[]): FileFormatError {
  let caught: FileFormatError | undefined;
  assert.throws(
    () => parseModelConfig(json, '/models/x/config.json'),
    (e: unknown) => {
      assert.ok(e instanceof FileFormatError);
      assert.equal(e.code, 'E_MODEL_CONFIG');
      assert.ok(e.message.includes('/models/x/config.json'), e.message);
      for (const p of parts) assert.ok(e.message.includes(p), `message mentions '${p}': ${e.message}`);
      caught = e;
      return true;
    },
  );
  return caught!;
}

describe('config.json ↔ ModelConfig', () => {
  it('parses a Llama with grouped-query attention', () => {
    const c = parseModelConfig(TINYLLAMA);
    assert.deepEqual(c, {
      modelType: 'llama',
      vocabSize: 32000,
      hiddenSize: 2048,
      intermediateSize: 5632,
      numHiddenLayers: 22,
      numAttentionHeads: 32,
      numKeyValueHeads: 4,
      headDim: 64,
      rmsNormEps: 1e-5,
      ropeTheta: 10000,
      ropeScaling: null,
      qkvBias: false,
      oBias: false,
      mlpBias: false,
      tieWordEmbeddings: false,
      maxPositionEmbeddings: 2048,
      bosTokenId: 1,
      eosTokenId: [2],
      padTokenId: null,
    } satisfies ModelConfig);
  });

  it('parses llama3 rope scaling, tied embeddings and a list of eos ids', () => {
    const c = parseModelConfig(LLAMA32);
    assert.deepEqual(c.ropeScaling, {
      type: 'llama3',
      factor: 32,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositionEmbeddings: 8192,
    });
    assert.equal(c.tieWordEmbeddings, true);
    assert.deepEqual(c.eosTokenId, [128001, 128008, 128009]);
    assert.deepEqual(parseModelConfig({ ...TINYLLAMA, rope_scaling: { type: 'linear', factor: 2 } }).ropeScaling, {
      type: 'linear',
      factor: 2,
    });
  });

  it('parses a Qwen2: q/k/v bias, no o_proj bias, tied embeddings', () => {
    const c = parseModelConfig(QWEN25);
    assert.equal(c.modelType, 'qwen2');
    assert.equal(c.headDim, 64);
    assert.equal(c.numKeyValueHeads, 2);
    assert.equal(c.qkvBias, true);
    assert.equal(c.oBias, false);
    assert.equal(c.mlpBias, false);
    assert.equal(c.tieWordEmbeddings, true);
    assert.equal(c.ropeTheta, 1e6);
    assert.deepEqual(c.eosTokenId, [151643]);
    const { tie_word_embeddings: _, bos_token_id: __, eos_token_id: ___, ...bare } = QWEN25;
    const d = parseModelConfig(bare);
    assert.equal(d.tieWordEmbeddings, false, 'Qwen2Config defaults tie_word_embeddings to False');
    assert.equal(d.bosTokenId, null);
    assert.deepEqual(d.eosTokenId, []);
  });

  it('parses a Mistral', () => {
    const c = parseModelConfig(MISTRAL);
    assert.equal(c.modelType, 'mistral');
    assert.equal(c.headDim, 128);
    assert.equal(c.numKeyValueHeads, 8);
    assert.equal(c.qkvBias || c.oBias || c.mlpBias, false);
    assert.equal(c.maxPositionEmbeddings, 32768);
  });

  it('applies transformers defaults: head_dim, num_key_value_heads, norms, rope, tokens', () => {
    const c = parseModelConfig({
      model_type: 'llama',
      vocab_size: 100,
      hidden_size: 64,
      intermediate_size: 128,
      num_hidden_layers: 2,
      num_attention_heads: 4,
    });
    assert.equal(c.headDim, 16);
    assert.equal(c.numKeyValueHeads, 4);
    assert.equal(c.rmsNormEps, 1e-6);
    assert.equal(c.ropeTheta, 10000);
    assert.equal(c.maxPositionEmbeddings, 2048);
    assert.equal(c.tieWordEmbeddings, false);
    assert.equal(c.bosTokenId, 1);
    assert.deepEqual(c.eosTokenId, [2]);
  });

  it('maps Llama attention_bias to q, k, v and o bias, and mlp_bias to the MLP', () => {
    const c = parseModelConfig({ ...TINYLLAMA, attention_bias: true, mlp_bias: true });
    assert.equal(c.qkvBias, true);
    assert.equal(c.oBias, true);
    assert.equal(c.mlpBias, true);
  });

  it('reads transformers v5 rope_parameters', () => {
    const { rope_theta: _, rope_scaling: __, ...rest } = LLAMA32;
    const c = parseModelConfig({ ...rest, rope_parameters: { ...LLAMA32.rope_scaling, rope_theta: 500000 } });
    assert.equal(c.ropeTheta, 500000);
    assert.equal(c.ropeScaling?.type, 'llama3');
    const d = parseModelConfig({ ...rest, rope_parameters: { rope_type: 'default', rope_theta: 1234 } });
    assert.equal(d.ropeTheta, 1234);
    assert.equal(d.ropeScaling, null);
  });

  it('names config.json and every missing or bad field in one error', () => {
    const { hidden_size: _, num_hidden_layers: __, ...missing } = TINYLLAMA;
    const e = expectConfigError({ ...missing, rms_norm_eps: -1, eos_token_id: 'x' }, 'hidden_size', 'num_hidden_layers', 'rms_norm_eps', 'eos_token_id');
    assert.equal((e.details!.problems as string[]).length, 4);
    expectConfigError({ ...TINYLLAMA, num_key_value_heads: 5 }, 'num_key_value_heads', 'does not divide');
    expectConfigError({ ...TINYLLAMA, hidden_size: 100, num_attention_heads: 3 }, 'head_dim', 'not a multiple');
    expectConfigError({ ...TINYLLAMA, hidden_act: 'gelu' }, 'hidden_act', 'gelu');
    expectConfigError({ ...TINYLLAMA, tie_word_embeddings: 'yes' }, 'tie_word_embeddings');
    expectConfigError([], 'not a JSON object');
  });

  it('rejects an unsupported model_type, listing the supported ones', () => {
    expectConfigError({ ...TINYLLAMA, model_type: 'gpt2' }, 'gpt2', 'llama, mistral, qwen2');
    expectConfigError({ ...TINYLLAMA, model_type: undefined }, 'model_type', 'llama, mistral, qwen2');
  });

  it('rejects rope scaling other than linear and llama3', () => {
    expectConfigError({ ...TINYLLAMA, rope_scaling: { rope_type: 'yarn', factor: 4 } }, 'rope_scaling', 'yarn', 'linear, llama3');
    expectConfigError({ ...TINYLLAMA, rope_scaling: { type: 'dynamic', factor: 4 } }, 'dynamic');
    expectConfigError({ ...TINYLLAMA, rope_scaling: { rope_type: 'llama3', factor: 8 } }, 'rope_scaling.low_freq_factor');
  });

  it('writes config.json that reads back to the same config, for each architecture', () => {
    for (const json of [TINYLLAMA, LLAMA32, QWEN25, MISTRAL, { ...TINYLLAMA, attention_bias: true, mlp_bias: true }]) {
      const c = parseModelConfig(json);
      const out = modelConfigToJson(c, { torchDtype: 'bfloat16' });
      assert.deepEqual(parseModelConfig(JSON.parse(JSON.stringify(out))), c, json.model_type);
      assert.equal(out.torch_dtype, 'bfloat16');
      assert.equal(out.model_type, json.model_type);
    }
    assert.deepEqual(modelConfigToJson(parseModelConfig(QWEN25)).architectures, ['Qwen2ForCausalLM']);
    assert.deepEqual(modelConfigToJson(parseModelConfig(MISTRAL)).architectures, ['MistralForCausalLM']);
    const llama = modelConfigToJson(parseModelConfig(LLAMA32));
    assert.deepEqual(llama.architectures, ['LlamaForCausalLM']);
    assert.deepEqual(llama.rope_scaling, LLAMA32.rope_scaling);
    assert.equal(llama.eos_token_id instanceof Array, true);
    assert.equal(modelConfigToJson(parseModelConfig(TINYLLAMA)).eos_token_id, 2);
  });

  it('refuses to write a bias layout the architecture cannot express', () => {
    const c = parseModelConfig(TINYLLAMA);
    assert.throws(() => modelConfigToJson({ ...c, qkvBias: true }), /attention_bias/);
    assert.throws(() => modelConfigToJson({ ...parseModelConfig(MISTRAL), mlpBias: true }), /mistral/);
    assert.throws(() => modelConfigToJson({ ...parseModelConfig(QWEN25), oBias: true }), /qwen2/);
  });

  it('reads and writes files, naming the file in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lift-cfg-'));
    try {
      const file = join(dir, 'config.json');
      writeModelConfig(file, parseModelConfig(QWEN25));
      assert.deepEqual(readModelConfig(file), parseModelConfig(QWEN25));
      assert.ok(readFileSync(file, 'utf8').endsWith('}\n'));
      writeFileSync(file, '{ "model_type": ');
      assert.throws(() => readModelConfig(file), (e: unknown) => e instanceof FileFormatError && e.message.startsWith(file));
      assert.throws(() => readModelConfig(join(dir, 'none.json')), /none\.json: cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
