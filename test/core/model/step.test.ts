import assert from 'node:assert/strict';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { parameterShapes } from '../../../src/core/model/config.js';
import { initWeights } from '../../../src/core/model/init.js';
import { buildLlamaStepGraph } from '../../../src/core/model/llama.js';
import { referenceForward } from '../../helpers/reference-model.js';
import { Rng } from '../../../src/core/rng.js';
import { type Tensor, tensor } from '../../../src/core/tensor.js';
import { int64, llamaConfig, maxAbsDiff, qwen2Config, randomWeights } from './helpers.js';

const backend = new OnnxRuntimeBackend({ intraOpThreads: 1 });

describe('KV-cache step graph', () => {
  it('prefill then decode steps give the reference logits of the real tokens (right padding)', async () => {
    const config = llamaConfig();
    const weights = randomWeights(config, 41);
    const B = 2;
    const P = 5;
    const L = 8;
    const KV = config.numKeyValueHeads;
    const D = config.headDim;
    const seqs = [
      [5, 9, 13, 7, 22, 31, 8],
      [11, 3, 40, 17, 19], // prompt of 3, then two decoded tokens
    ];
    const lens = [5, 3];
    const prefill = buildLlamaStepGraph(config, { batch: B, newLen: P, maxLen: L, weights });
    const decode = buildLlamaStepGraph(config, { batch: B, newLen: 1, maxLen: L, weights });
    const outs = (st: typeof prefill) => [st.logits, ...st.present.flatMap((p) => [p.key, p.value])];
    const pre = await backend.compile(prefill.graph, outs(prefill));
    const dec = await backend.compile(decode.graph, outs(decode));
    const mask = [0, 1].map((b) => Array.from({ length: L }, (_, t) => (t < lens[b]! || t >= P ? 1 : 0)));
    let past: Tensor[] = prefill.past.flatMap(() => [tensor('float32', [B, KV, L, D]), tensor('float32', [B, KV, L, D])]);
    const run = async (st: typeof prefill, exe: typeof pre, feeds: Record<string, Tensor>) => {
      st.past.forEach((p, l) => {
        feeds[p.key.name] = past[2 * l]!;
        feeds[p.value.name] = past[2 * l + 1]!;
      });
      const r = await exe.run(feeds);
      past = st.present.flatMap((p) => [r[p.key.name]!, r[p.value.name]!]);
      return r.logits!.data as Float32Array;
    };
    const V = config.vocabSize;
    const check = (logits: Float32Array, prefixes: number[][]) => {
      for (let b = 0; b < B; b++) {
        const ref = referenceForward(config, weights, { inputIds: [prefixes[b]!] });
        const last = ref.logits.subarray((prefixes[b]!.length - 1) * V);
        const err = maxAbsDiff(logits.subarray(b * V, (b + 1) * V), last);
        assert.ok(err < 1e-4, `row ${b}, ${prefixes[b]!.length} tokens: ${err}`);
      }
    };
    const promptIds = [seqs[0]!.slice(0, P), [...seqs[1]!.slice(0, 3), 0, 0]];
    let logits = await run(prefill, pre, {
      input_ids: int64(promptIds),
      attention_mask: int64(mask),
      position_ids: int64([
        [0, 1, 2, 3, 4],
        [0, 1, 2, 0, 0],
      ]),
      write_pos: tensor('int64', [1], BigInt64Array.of(0n)),
      logits_index: tensor('int64', [B], BigInt64Array.of(4n, 2n)),
    });
    check(logits, [seqs[0]!.slice(0, 5), seqs[1]!.slice(0, 3)]);
    for (let s = 0; s < 2; s++) {
      logits = await run(decode, dec, {
        input_ids: int64([[seqs[0]![5 + s]!], [seqs[1]![3 + s]!]]),
        attention_mask: int64(mask),
        position_ids: int64([[5 + s], [3 + s]]),
        write_pos: tensor('int64', [1], BigInt64Array.of(BigInt(P + s))),
        logits_index: tensor('int64', [B], BigInt64Array.of(0n, 0n)),
      });
      check(logits, [seqs[0]!.slice(0, 6 + s), seqs[1]!.slice(0, 4 + s)]);
    }
    await pre.dispose();
    await dec.dispose();
  });
});

describe('initWeights', () => {
  it('draws every HF parameter: normal(0, std), norms 1, biases 0, pad row 0, seeded', () => {
    const config = qwen2Config({ padTokenId: 3 });
    const w = initWeights(config, new Rng(5), { std: 0.5 });
    assert.deepEqual([...w.keys()], [...parameterShapes(config).keys()]);
    for (const [name, shape] of parameterShapes(config)) assert.deepEqual(w.get(name)!.shape, shape);
    assert.ok(w.get('model.norm.weight')!.data.every((x) => x === 1));
    assert.ok(w.get('model.layers.1.self_attn.k_proj.bias')!.data.every((x) => x === 0));
    const emb = w.get('model.embed_tokens.weight')!.data;
    const H = config.hiddenSize;
    assert.ok(emb.subarray(3 * H, 4 * H).every((x) => x === 0));
    const up = w.get('model.layers.0.mlp.up_proj.weight')!.data;
    const mean = up.reduce((a, b) => a + b, 0) / up.length;
    const std = Math.sqrt(up.reduce((a, b) => a + (b - mean) ** 2, 0) / up.length);
    assert.ok(Math.abs(mean) < 0.03 && Math.abs(std - 0.5) < 0.03, `mean ${mean} std ${std}`);
    const again = initWeights(config, new Rng(5), { std: 0.5 });
    for (const [name, t] of w) assert.deepEqual(again.get(name)!.data, t.data);
  });
});
