import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { loadModelDir } from '../../../src/adapters/huggingface/checkpoint.js';
import { loadTokenizer } from '../../../src/adapters/huggingface/tokenizer.js';
import { loadSftRecords } from '../../../src/core/data/load.js';
import { shortAnswerMatches } from '../../../src/core/eval/answers.js';
import { evaluateGeneration } from '../../../src/core/eval/evaluate.js';

const MODEL = join(import.meta.dirname, '../../../fixtures/model');

// The bundled model is what `npm start` fine-tunes and what forgetting is measured from: it must
// load like any Hugging Face checkpoint, stay small, and know its source facts.
describe('the bundled fixture model', () => {
  const { config, weights } = loadModelDir(MODEL);

  it('is a Llama-family checkpoint of 1 to 5 million parameters in at most 20 MB', () => {
    assert.equal(config.modelType, 'llama');
    let params = 0;
    for (const t of weights.values()) params += t.data.length;
    assert.ok(params >= 1e6 && params <= 5e6, `${params} parameters`);
    assert.ok(statSync(join(MODEL, 'model.safetensors')).size <= 20 * 1024 * 1024);
  });

  it('recalls at least 90% of a 100-fact sample of the source set', async () => {
    const tokenizer = await loadTokenizer(MODEL);
    const probe = loadSftRecords(join(MODEL, '../data/source_eval.jsonl')).records.filter((_, i) => i % 8 === 4);
    assert.equal(probe.length, 100);
    const backend = new OnnxRuntimeBackend({ intraOpThreads: 1 });
    const score = await evaluateGeneration(backend, config, weights, probe, tokenizer, {
      batchSize: 50,
      maxNewTokens: 24,
      isCorrect: (g, r) => shortAnswerMatches(g, r.answer ?? ''),
    });
    assert.ok(score.accuracy >= 0.9, `recall ${score.accuracy}; first misses: ${score.generations.filter((g, i) => !shortAnswerMatches(g, probe[i]!.answer ?? '')).slice(0, 3).join(' | ')}`);
  });
});
