/** A tiny random Llama model in Hugging Face layout with the fixture tokenizer, for CLI tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveModelDir } from '../../src/adapters/huggingface/checkpoint.js';
import type { ModelConfig } from '../../src/core/model/config.js';
import { initWeights } from '../../src/core/model/init.js';
import { Rng } from '../../src/core/rng.js';

export const TINY_CONFIG: ModelConfig = {
  modelType: 'llama',
  vocabSize: 1024,
  hiddenSize: 32,
  intermediateSize: 64,
  numHiddenLayers: 2,
  numAttentionHeads: 4,
  numKeyValueHeads: 2,
  headDim: 8,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  ropeScaling: null,
  qkvBias: false,
  oBias: false,
  mlpBias: false,
  tieWordEmbeddings: true,
  maxPositionEmbeddings: 512,
  bosTokenId: 1,
  eosTokenId: [2],
  padTokenId: 3,
};

export function writeTinyModel(dir = mkdtempSync(join(tmpdir(), 'lift-tiny-model-'))): string {
  saveModelDir(dir, TINY_CONFIG, initWeights(TINY_CONFIG, new Rng(7)), { tokenizerFrom: 'fixtures/tokenizer' });
  return dir;
}
