import assert from 'node:assert/strict';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { GreedyGenerator, generateGreedy } from '../../../src/core/model/generate.js';
import { Rng } from '../../../src/core/rng.js';
import { ids, llamaConfig, qwen2Config, randomWeights } from './helpers.js';

const backend = new OnnxRuntimeBackend({ intraOpThreads: 1 });

describe('greedy generation with the KV cache', () => {
  const config = llamaConfig();
  const weights = randomWeights(config, 31, 0.3);
  const rng = new Rng(32);
  const prompts = [3, 7, 12, 1].map((n) => ids(rng, 1, n, config.vocabSize)[0]!.map((x) => Math.max(x, 3)));
  const base = { maxNewTokens: 10, eosTokenIds: [] as number[], padTokenId: 0 };
  let gen: GreedyGenerator;
  before(() => (gen = new GreedyGenerator(backend, config, weights, { bucket: 8 })));
  after(() => gen.dispose());

  it('gives the tokens of recomputing the whole sequence at every step, batched, both padding sides', async () => {
    const cached = await gen.generate(prompts, base);
    const recomputed = await gen.generate(prompts, { ...base, cache: false });
    assert.deepEqual(cached, recomputed);
    assert.ok(cached.every((r) => r.length === 10));
    // Not degenerate: the rows differ and a row does not repeat one token.
    assert.ok(new Set(cached.map((r) => r.join())).size > 1 && cached.some((r) => new Set(r).size > 2), JSON.stringify(cached));
    const right = await gen.generate(prompts, { ...base, paddingSide: 'right' });
    assert.deepEqual(right, cached);
    assert.deepEqual(await gen.generate(prompts, { ...base, paddingSide: 'right', cache: false }), cached);
    // Each prompt alone gives its row of the batch: padding is invisible.
    for (let b = 0; b < prompts.length; b++) assert.deepEqual(await gen.generate([prompts[b]!], base), [cached[b]]);
  });

  it('stops each row at its first EOS, keeping the EOS token', async () => {
    const free = await gen.generate(prompts, base);
    const eos = free[1]![3]!;
    const stopped = await gen.generate(prompts, { ...base, eosTokenIds: [eos] });
    for (let b = 0; b < prompts.length; b++) {
      const at = free[b]!.indexOf(eos);
      assert.deepEqual(stopped[b], at < 0 ? free[b] : free[b]!.slice(0, at + 1));
    }
    assert.ok(stopped[1]!.length <= 4);
  });

  it('generateGreedy on a qwen2 config (bias, tied embeddings) matches recomputation', async () => {
    const qc = qwen2Config();
    const qw = randomWeights(qc, 33, 0.3);
    const args = { backend, config: qc, weights: qw, tokenizerIds: prompts.slice(0, 3).map((p) => p.map((x) => x % qc.vocabSize)), maxNewTokens: 6, eosTokenIds: [2], padTokenId: 0 };
    assert.deepEqual(await generateGreedy(args), await generateGreedy({ ...args, cache: false }));
  });
});
