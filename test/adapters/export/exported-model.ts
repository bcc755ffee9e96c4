/**
 * The bundled model fine-tuned for a few LIFT steps and exported for transformers.js (hf + onnx),
 * made once per test process and shared by the Node and the Chromium tests, with the prompts
 * both compare on and lift-sft's own greedy tokens for them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { trainedSource, writeExports } from '../../../src/api/export.js';
import { train } from '../../../src/api/train.js';
import { validateRunConfig } from '../../../src/core/config/validate.js';
import { formatPrompt } from '../../../src/core/data/template.js';
import type { ModelConfig } from '../../../src/core/model/config.js';
import { generateGreedy } from '../../../src/core/model/generate.js';
import type { Tensor } from '../../../src/core/tensor.js';

export interface ExportedModel {
  /** The exported model directory (config.json, model.safetensors, tokenizer, onnx/model.onnx). */
  dir: string;
  config: ModelConfig;
  weights: Map<string, Tensor<'float32'>>;
  /** Instruction prompts of different lengths (a batch of them is left-padded). */
  prompts: string[];
  maxNewTokens: number;
}

export const PROMPTS = [
  'What is the capital of Poulpeth?',
  'Who founded Poulpeth?',
  'Mia has 4 eggs. She buys 9 more. She gives 6 to Ned. How many eggs does Mia have now?',
].map((instruction) => formatPrompt({ instruction, output: '' }));

let cached: Promise<ExportedModel> | undefined;

export function exportedModel(): Promise<ExportedModel> {
  cached ??= (async () => {
    const root = mkdtempSync(join(tmpdir(), 'lift-tjs-'));
    process.on('exit', () => rmSync(root, { recursive: true, force: true }));
    const run = validateRunConfig({
      model: 'fixtures/model',
      data: { train: 'fixtures/data/target_train.jsonl', maxLength: 64 },
      method: { name: 'lift', options: { rank: 6, filterRank: 8, interval: 0 } },
      optimizer: { lr: 2e-3 },
      batchSize: 4,
      steps: 3,
      evaluation: { generate: false },
      output: { dir: join(root, 'run') },
    });
    const { result, model } = await train(run, { onNotice: () => {} });
    writeExports(root, trainedSource(run, model, result), ['hf', 'onnx']);
    return { dir: join(root, 'model'), config: model.config, weights: result.weights(), prompts: PROMPTS, maxNewTokens: 40 };
  })();
  return cached;
}

/** lift-sft's own greedy continuation of each token sequence (up to and including EOS unless `eos` is empty). */
export async function liftGreedy(m: ExportedModel, ids: number[][], eos: readonly number[] = m.config.eosTokenId): Promise<number[][]> {
  const backend = new OnnxRuntimeBackend({ intraOpThreads: 1 });
  return generateGreedy({ backend, config: m.config, weights: m.weights, tokenizerIds: ids, maxNewTokens: m.maxNewTokens, eosTokenIds: eos, padTokenId: m.config.padTokenId ?? 0 });
}
