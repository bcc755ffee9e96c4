import { strict as assert } from 'node:assert';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import type { TokenizedExample } from '../../../src/core/data/tokenize.js';
import type { Tokenizer } from '../../../src/core/data/tokenizer.js';
import { evaluateGeneration, evaluateLoss } from '../../../src/core/eval/evaluate.js';
import { initWeights } from '../../../src/core/model/init.js';
import { referenceForward, referenceLoss } from '../../helpers/reference-model.js';
import { Rng } from '../../../src/core/rng.js';
import { TINY_CONFIG } from '../../helpers/tiny-model.js';

const config = { ...TINY_CONFIG, vocabSize: 48 };
const weights = initWeights(config, new Rng(11), { std: 0.2 });

function examples(n: number): TokenizedExample[] {
  const rng = new Rng(5);
  return Array.from({ length: n }, (_, i) => {
    const len = 5 + ((i * 7) % 20);
    const ids = Int32Array.from({ length: len }, () => 4 + rng.int(40));
    const prompt = 2 + (i % 3);
    const labels = Int32Array.from(ids, (t, j) => (j < prompt ? -100 : t));
    return { inputIds: ids, labels, promptLength: prompt, truncated: false };
  });
}

describe('evaluate', function () {
  this.timeout(60_000);
  const backend = new OnnxRuntimeBackend();

  it('evaluateLoss is the token-weighted mean over batches and buckets, as the plain reference computes it', async () => {
    const ex = examples(7);
    const got = await evaluateLoss(backend, config, weights, ex, { batchSize: 3, padTokenId: 0 });
    let nll = 0;
    let count = 0;
    for (const e of ex) {
      const out = referenceForward(config, weights, { inputIds: [Array.from(e.inputIds)] });
      const r = referenceLoss(out, [Array.from(e.labels)]);
      nll += r.loss * r.count;
      count += r.count;
    }
    assert.equal(got.tokens, count);
    assert.ok(Math.abs(got.loss - nll / count) < 1e-5, `${got.loss} vs ${nll / count}`);
    assert.ok(Math.abs(got.perplexity - Math.exp(nll / count)) < 1e-3);
  });

  it('evaluateGeneration scores each record with the given judge', async () => {
    // A tokenizer over single characters: ids 4.. are 'a'.., enough to decode what the model says.
    const tok: Tokenizer = {
      encode: (t) => [...t].map((c) => 4 + (c.charCodeAt(0) % 40)),
      decode: (ids) => ids.filter((i) => i >= 4).map((i) => String.fromCharCode(97 + ((i - 4) % 26))).join(''),
      eosTokenId: 2,
      padTokenId: 0,
      bosTokenId: 1,
      vocabSize: 48,
    };
    const records = [{ instruction: 'abc', output: 'x' }, { instruction: 'defg', output: 'y' }, { instruction: 'hi', output: 'z' }];
    const seen: string[] = [];
    const score = await evaluateGeneration(backend, config, weights, records, tok, {
      maxNewTokens: 3,
      batchSize: 2,
      template: { withInput: '{instruction}', withoutInput: '{instruction}' },
      isCorrect: (g, r) => (seen.push(g), r.instruction.length % 2 === 0),
    });
    assert.equal(score.total, 3);
    assert.equal(score.correct, 2); // "defg" and "hi"
    assert.ok(Math.abs(score.accuracy - 2 / 3) < 1e-12);
    assert.deepEqual(score.generations, seen);
  });
});
