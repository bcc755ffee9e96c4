import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModelDir, saveModelDir } from '../../../src/adapters/huggingface/checkpoint.js';
import { bfloat16BitsToFloat32, float32ToBfloat16Bits } from '../../../src/adapters/huggingface/float-bits.js';
import { readSafetensors, writeSafetensors } from '../../../src/adapters/huggingface/safetensors.js';
import { FileFormatError } from '../../../src/core/errors.js';
import { parameterShapes, type ModelConfig } from '../../../src/core/model/config.js';
import { Rng } from '../../../src/core/rng.js';
import { numel, tensor, type Tensor } from '../../../src/core/tensor.js';

const LLAMA: ModelConfig = {
  modelType: 'llama',
  vocabSize: 32,
  hiddenSize: 8,
  intermediateSize: 16,
  numHiddenLayers: 2,
  numAttentionHeads: 2,
  numKeyValueHeads: 1,
  headDim: 4,
  rmsNormEps: 1e-6,
  ropeTheta: 10000,
  ropeScaling: null,
  qkvBias: false,
  oBias: false,
  mlpBias: false,
  tieWordEmbeddings: false,
  maxPositionEmbeddings: 64,
  bosTokenId: 1,
  eosTokenId: [2],
  padTokenId: 3,
};

const QWEN: ModelConfig = { ...LLAMA, modelType: 'qwen2', qkvBias: true, tieWordEmbeddings: true, bosTokenId: null };

function randomWeights(config: ModelConfig, seed: number): Map<string, Tensor<'float32'>> {
  const rng = new Rng(seed);
  const out = new Map<string, Tensor<'float32'>>();
  for (const [name, shape] of parameterShapes(config)) {
    out.set(name, tensor('float32', shape, Float32Array.from({ length: numel(shape) }, () => rng.normal() * 0.1)));
  }
  return out;
}

describe('model directory (config.json + safetensors)', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'lift-ckpt-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('saves and loads a Llama exactly in F32, with the tokenizer files copied', () => {
    const tok = join(root, 'tok');
    mkdirSync(tok);
    writeFileSync(join(tok, 'tokenizer.json'), '{"t":1}');
    writeFileSync(join(tok, 'tokenizer_config.json'), '{"c":1}');

    const dir = join(root, 'llama');
    const weights = randomWeights(LLAMA, 2);
    saveModelDir(dir, LLAMA, weights, { tokenizerFrom: tok });
    assert.equal(readFileSync(join(dir, 'tokenizer.json'), 'utf8'), '{"t":1}');
    assert.equal(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'), '{"c":1}');
    assert.equal(existsSync(join(dir, 'special_tokens_map.json')), false);
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    assert.equal(cfg.torch_dtype, 'float32');
    assert.deepEqual(cfg.architectures, ['LlamaForCausalLM']);

    const back = loadModelDir(dir);
    assert.deepEqual(back.config, LLAMA);
    assert.deepEqual([...back.weights.keys()].sort(), [...weights.keys()].sort());
    for (const [name, t] of weights) assert.deepEqual(back.weights.get(name)!.data, t.data, name);
  });

  it('saves BF16 (rounded to nearest even) and a tied Qwen2 without lm_head', () => {
    const dir = join(root, 'qwen');
    const weights = randomWeights(QWEN, 3);
    assert.equal(weights.has('lm_head.weight'), false);
    assert.equal(weights.has('model.layers.0.self_attn.q_proj.bias'), true);
    saveModelDir(dir, QWEN, weights, { dtype: 'BF16' });
    assert.equal(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).torch_dtype, 'bfloat16');
    const back = loadModelDir(dir);
    assert.deepEqual(back.config, QWEN);
    for (const [name, t] of weights) {
      assert.deepEqual(back.weights.get(name)!.data, bfloat16BitsToFloat32(float32ToBfloat16Bits(t.data)), name);
    }
  });

  it('accepts an lm_head saved next to tied embeddings, and old rotary caches, and drops them', () => {
    const dir = join(root, 'tied-extra');
    saveModelDir(dir, QWEN, randomWeights(QWEN, 4));
    const file = join(dir, 'model.safetensors');
    const stored = readSafetensors(file);
    stored.set('lm_head.weight', stored.get('model.embed_tokens.weight')!);
    stored.set('model.layers.0.self_attn.rotary_emb.inv_freq', tensor('float32', [2]));
    writeSafetensors(file, stored);
    const back = loadModelDir(dir);
    assert.equal(back.weights.has('lm_head.weight'), false);
    assert.equal(back.weights.size, parameterShapes(QWEN).size);
  });

  it('loads a sharded directory', () => {
    const dir = join(root, 'sharded');
    const weights = randomWeights(LLAMA, 5);
    const names = [...weights.keys()];
    const half = Math.ceil(names.length / 2);
    const shards = [names.slice(0, half), names.slice(half)];
    const weightMap: Record<string, string> = {};
    shards.forEach((list, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      writeSafetensors(join(dir, file), list.map((n) => [n, weights.get(n)!] as const));
      for (const n of list) weightMap[n] = file;
    });
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    writeFileSync(join(dir, 'config.json'), readFileSync(join(root, 'llama', 'config.json')));
    const back = loadModelDir(dir);
    for (const [name, t] of weights) assert.deepEqual(back.weights.get(name)!.data, t.data, name);
  });

  it('reports every missing, unexpected and mis-shaped tensor in one error', () => {
    const weights = randomWeights(LLAMA, 6);
    weights.delete('model.norm.weight');
    weights.delete('lm_head.weight');
    weights.set('model.layers.0.mlp.up_proj.weight', tensor('float32', [8, 16]));
    weights.set('model.layers.5.extra.weight', tensor('float32', [1]));
    const dir = join(root, 'bad');
    assert.throws(
      () => saveModelDir(dir, LLAMA, weights),
      (e: unknown) => {
        assert.ok(e instanceof FileFormatError);
        assert.equal(e.code, 'E_SAFETENSORS');
        for (const p of [
          'missing tensors (2): model.norm.weight, lm_head.weight',
          'model.layers.0.mlp.up_proj.weight is [8, 16], expected [16, 8]',
          'unexpected tensors (1): model.layers.5.extra.weight',
          join(dir, 'model.safetensors'),
        ]) {
          assert.ok(e.message.includes(p), `${p} in ${e.message}`);
        }
        return true;
      },
    );
    assert.equal(existsSync(dir), false, 'a rejected save writes nothing');

    const good = join(root, 'llama');
    const weightsFile = join(good, 'model.safetensors');
    const stored = readSafetensors(weightsFile);
    stored.delete('model.embed_tokens.weight');
    const dir2 = join(root, 'bad2');
    writeSafetensors(join(dir2, 'model.safetensors'), stored);
    writeFileSync(join(dir2, 'config.json'), readFileSync(join(good, 'config.json')));
    assert.throws(() => loadModelDir(dir2), /bad2\/model\.safetensors: weights do not match config\.json:\n {2}missing tensors \(1\): model\.embed_tokens\.weight/);
  });

  it('fails clearly without weights or config.json', () => {
    const dir = join(root, 'empty');
    saveModelDir(dir, LLAMA, randomWeights(LLAMA, 7));
    rmSync(join(dir, 'model.safetensors'));
    assert.throws(() => loadModelDir(dir), /has neither model\.safetensors nor model\.safetensors\.index\.json/);
    rmSync(join(dir, 'config.json'));
    assert.throws(() => loadModelDir(dir), (e: unknown) => e instanceof FileFormatError && e.code === 'E_MODEL_CONFIG');
  });
});
