import assert from 'node:assert/strict';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { Graph } from '../../../src/core/graph/graph.js';
import type { ModelConfig } from '../../../src/core/model/config.js';
import { buildLlama, buildLlamaTrainingGraph } from '../../../src/core/model/llama.js';
import { loraNames, mergeLora } from '../../../src/plugins/lora/index.js';
import { planWeights } from '../../helpers/plan-weights.js';
import { referenceForward, referenceLoss } from '../../helpers/reference-model.js';
import { Rng } from '../../../src/core/rng.js';
import { type Tensor, tensor } from '../../../src/core/tensor.js';
import { ids, int64, llamaConfig, maxAbsDiff, qwen2Config, randomWeights } from './helpers.js';

const backend = new OnnxRuntimeBackend({ intraOpThreads: 1 });

async function graphLogits(config: ModelConfig, weights: Map<string, Tensor>, inputIds: number[][], mask: number[][], positions?: number[][]) {
  const g = new Graph();
  const m = buildLlama(g, config, { batch: inputIds.length, seqLen: inputIds[0]!.length, weights, positionIds: !!positions });
  const exe = await backend.compile(g, [m.logits]);
  const feeds: Record<string, Tensor> = { input_ids: int64(inputIds), attention_mask: int64(mask) };
  if (positions) feeds.position_ids = int64(positions);
  const out = await exe.run(feeds);
  await exe.dispose();
  return out.logits!;
}

function padRight(rows: number[][], lengths: number[], pad: number): { ids: number[][]; mask: number[][] } {
  return {
    ids: rows.map((r, b) => r.map((x, t) => (t < lengths[b]! ? x : pad))),
    mask: rows.map((r, b) => r.map((_, t) => (t < lengths[b]! ? 1 : 0))),
  };
}

describe('llama graph forward vs float64 reference', () => {
  it('llama, GQA, rope_scaling llama3, right padding: logits within 1e-4', async () => {
    const config = llamaConfig();
    const weights = randomWeights(config, 1);
    const { ids: x, mask } = padRight(ids(new Rng(2), 3, 12, config.vocabSize), [12, 9, 5], 0);
    const logits = await graphLogits(config, weights, x, mask);
    assert.deepEqual(logits.shape, [3, 12, config.vocabSize]);
    const ref = referenceForward(config, weights, { inputIds: x, attentionMask: mask });
    const err = maxAbsDiff(logits.data as Float32Array, ref.logits);
    console.log(`      llama3/GQA max |Δlogit| = ${err.toExponential(2)} (logit scale ${maxAbs(ref.logits).toFixed(2)})`);
    assert.ok(err < 1e-4, `max abs diff ${err}`);
  });

  it('qwen2, q/k/v bias, tied embeddings, rope_scaling linear: logits within 1e-4', async () => {
    const config = qwen2Config();
    const weights = randomWeights(config, 3);
    assert.ok(!weights.has('lm_head.weight'));
    const { ids: x, mask } = padRight(ids(new Rng(4), 2, 10, config.vocabSize), [10, 7], 0);
    const logits = await graphLogits(config, weights, x, mask);
    const ref = referenceForward(config, weights, { inputIds: x, attentionMask: mask });
    const err = maxAbsDiff(logits.data as Float32Array, ref.logits);
    console.log(`      qwen2/bias/tied max |Δlogit| = ${err.toExponential(2)} (logit scale ${maxAbs(ref.logits).toFixed(2)})`);
    assert.ok(err < 1e-4, `max abs diff ${err}`);
  });

  it('left padding with position_ids = cumsum(mask) − 1 matches on real tokens', async () => {
    const config = llamaConfig({ oBias: true, mlpBias: true, qkvBias: true });
    const weights = randomWeights(config, 5);
    const S = 8;
    const lengths = [8, 5];
    const raw = ids(new Rng(6), 2, S, config.vocabSize);
    const x = raw.map((r, b) => r.map((v, t) => (t < S - lengths[b]! ? 0 : v)));
    const mask = x.map((r, b) => r.map((_, t) => (t < S - lengths[b]! ? 0 : 1)));
    const pos = mask.map((r) => {
      let c = -1;
      return r.map((m) => (m ? ++c : 1));
    });
    const logits = await graphLogits(config, weights, x, mask, pos);
    const ref = referenceForward(config, weights, { inputIds: x, attentionMask: mask, positionIds: pos });
    const V = config.vocabSize;
    const err = maxAbsDiff(logits.data as Float32Array, ref.logits, (i) => mask[Math.floor(i / (S * V))]![Math.floor(i / V) % S] === 1);
    assert.ok(err < 1e-4, `max abs diff ${err}`);
    // The same tokens unpadded give the same logits: padding is fully masked.
    const short = await graphLogits(config, weights, [x[1]!.slice(S - 5)], [[1, 1, 1, 1, 1]]);
    const padded = (logits.data as Float32Array).subarray((S + S - 5) * V, 2 * S * V);
    assert.ok(maxAbsDiff(padded, short.data as Float32Array) < 1e-5);
  });

  it('loss equals the reference loss (shift, −100 ignored, mean over counted)', async () => {
    for (const config of [llamaConfig(), qwen2Config()]) {
      const weights = randomWeights(config, 7);
      const { ids: x, mask } = padRight(ids(new Rng(8), 3, 9, config.vocabSize), [9, 6, 4], 0);
      const labels = x.map((r, b) => r.map((v, t) => (t < 2 || !mask[b]![t] ? -100 : v)));
      const tg = buildLlamaTrainingGraph(config, { batch: 3, seqLen: 9, weights });
      const exe = await backend.compile(tg.graph, [tg.loss, tg.tokenCount]);
      const out = await exe.run({ input_ids: int64(x), attention_mask: int64(mask), labels: int64(labels) });
      await exe.dispose();
      const ref = referenceLoss(referenceForward(config, weights, { inputIds: x, attentionMask: mask }), labels);
      assert.equal(out.token_count!.data[0], ref.count);
      const loss = out.loss!.data[0] as number;
      assert.ok(Math.abs(loss - ref.loss) < 1e-5, `loss ${loss} vs reference ${ref.loss}`);
    }
  });

  it('loss is 0, not NaN, when no label is counted', async () => {
    const config = qwen2Config({ numHiddenLayers: 1 });
    const tg = buildLlamaTrainingGraph(config, { batch: 1, seqLen: 4, weights: randomWeights(config, 9) });
    const exe = await backend.compile(tg.graph, [tg.loss]);
    const out = await exe.run({ input_ids: int64([[1, 2, 3, 4]]), attention_mask: int64([[1, 1, 1, 1]]), labels: int64([[5, -100, -100, -100]]) });
    await exe.dispose();
    assert.equal(out.loss!.data[0], 0);
  });

  it('sparse values equal to W at the mask, and LoRA with B = 0, give the frozen logits', async () => {
    const config = llamaConfig({ numHiddenLayers: 1 });
    const weights = randomWeights(config, 10);
    const x = ids(new Rng(11), 2, 6, config.vocabSize);
    const mask = x.map((r) => r.map(() => 1));
    const frozen = await graphLogits(config, weights, x, mask);

    const q = 'model.layers.0.self_attn.q_proj.weight';
    const down = 'model.layers.0.mlp.down_proj.weight';
    const rng = new Rng(12);
    const pick = (n: number, k: number) => Int32Array.from(rng.shuffle([...Array(n).keys()]).slice(0, k).sort((a, b) => a - b));
    const masks = new Map([
      [q, pick(64 * 64, 300)],
      [down, pick(64 * 96, 200)],
    ]);
    const g = new Graph();
    const m = buildLlama(g, config, { batch: 2, seqLen: 6, weights: planWeights(weights, { sparse: masks }) });
    assert.deepEqual([...m.trainable.keys()], [`${q}.values`, `${down}.values`]);
    const exe = await backend.compile(g, [m.logits]);
    const feeds: Record<string, Tensor> = { input_ids: int64(x), attention_mask: int64(mask) };
    for (const [name, idx] of masks) {
      const w = weights.get(name)!.data;
      feeds[`${name}.values`] = { dtype: 'float32', shape: [idx.length], data: Float32Array.from(idx, (i) => w[i]!) };
    }
    const sparse = (await exe.run(feeds)).logits!;
    assert.deepEqual(sparse.data, frozen.data);

    const g2 = new Graph();
    const lora = buildLlama(g2, config, {
      batch: 2,
      seqLen: 6,
      weights: planWeights(weights, { lora: { targets: (n) => /(q|v|down)_proj\.weight$/.test(n), rank: 4, alpha: 8 } }),
    });
    assert.equal(lora.trainable.size, 6);
    const exe2 = await backend.compile(g2, [lora.logits]);
    const feeds2: Record<string, Tensor> = { input_ids: int64(x), attention_mask: int64(mask) };
    for (const [name, v] of lora.trainable) {
      const data = new Float32Array(v.shape[0]! * v.shape[1]!);
      if (name.includes('lora_A')) for (let i = 0; i < data.length; i++) data[i] = rng.normal();
      feeds2[name] = { dtype: 'float32', shape: v.shape, data };
    }
    const adapted = (await exe2.run(feeds2)).logits!;
    assert.ok(maxAbsDiff(adapted.data as Float32Array, frozen.data as Float32Array) < 1e-6);
    await exe.dispose();
    await exe2.dispose();
  });

  it('LoRA with trained A and B gives the logits of the merged weights W + (α/r)·B·A', async () => {
    const config = llamaConfig({ numHiddenLayers: 1 });
    const weights = randomWeights(config, 20);
    const x = ids(new Rng(21), 2, 6, config.vocabSize);
    const mask = x.map((r) => r.map(() => 1));
    const rank = 4;
    const alpha = 8;
    const g = new Graph();
    const lora = buildLlama(g, config, {
      batch: 2,
      seqLen: 6,
      weights: planWeights(weights, { lora: { targets: (n) => /(q|o|up)_proj\.weight$/.test(n), rank, alpha } }),
    });
    const exe = await backend.compile(g, [lora.logits]);
    const rng = new Rng(22);
    const feeds: Record<string, Tensor> = { input_ids: int64(x), attention_mask: int64(mask) };
    const adapters = new Map<string, Tensor<'float32'>>();
    for (const [name, v] of lora.trainable) {
      // B ≠ 0, as after training, so the adapter really changes the function.
      const t = tensor('float32', v.shape, Float32Array.from({ length: v.shape[0]! * v.shape[1]! }, () => 0.3 * rng.normal()));
      adapters.set(name, t);
      feeds[name] = t;
    }
    const unmerged = (await exe.run(feeds)).logits!;
    await exe.dispose();

    const merged = new Map(weights);
    for (const name of weights.keys()) {
      if (!/(q|o|up)_proj\.weight$/.test(name)) continue;
      const n = loraNames(name);
      merged.set(name, mergeLora(weights.get(name) as Tensor<'float32'>, adapters.get(n.a)!, adapters.get(n.b)!, alpha / rank));
    }
    const base = await graphLogits(config, weights, x, mask);
    const viaMerge = await graphLogits(config, merged, x, mask);
    // The adapters move the logits by far more than the merge/unmerged rounding difference.
    assert.ok(maxAbsDiff(unmerged.data as Float32Array, base.data as Float32Array) > 1e-2);
    assert.ok(maxAbsDiff(unmerged.data as Float32Array, viaMerge.data as Float32Array) < 1e-5);
  });

  it('LoRA dropout multiplies the adapter input only, entry by entry: 1 keeps the adapter, 0 removes it', async () => {
    const config = llamaConfig({ numHiddenLayers: 1 });
    const weights = randomWeights(config, 30);
    const x = ids(new Rng(31), 2, 6, config.vocabSize);
    const mask = x.map((r) => r.map(() => 1));
    const targets = (n: string) => /(q|v|o|gate|down)_proj\.weight$/.test(n);
    const run = async (dropout: number, factor: (row: number) => number) => {
      const g = new Graph();
      const m = buildLlama(g, config, { batch: 2, seqLen: 6, weights: planWeights(weights, { lora: { targets, rank: 4, alpha: 8, dropout } }) });
      const exe = await backend.compile(g, [m.logits]);
      const rng = new Rng(32);
      const feeds: Record<string, Tensor> = { input_ids: int64(x), attention_mask: int64(mask) };
      for (const [name, v] of m.trainable) feeds[name] = tensor('float32', v.shape, Float32Array.from({ length: v.shape[0]! * v.shape[1]! }, () => 0.3 * rng.normal()));
      assert.equal(m.fed.size, dropout > 0 ? 5 : 0);
      for (const [name, v] of m.fed) {
        const [rows, cols] = v.shape as [number, number];
        feeds[name] = tensor('float32', v.shape, Float32Array.from({ length: rows * cols }, (_, i) => factor(Math.floor(i / cols))));
      }
      const out = (await exe.run(feeds)).logits!.data as Float32Array;
      await exe.dispose();
      return out;
    };
    const adapted = await run(0, () => 1);
    const base = await graphLogits(config, weights, x, mask);
    assert.ok(maxAbsDiff(adapted, base.data as Float32Array) > 1e-2, 'the adapters change the logits');
    assert.ok(maxAbsDiff(await run(0.5, () => 1), adapted) < 1e-6);
    assert.ok(maxAbsDiff(await run(0.5, () => 0), base.data as Float32Array) < 1e-5);
    // Rows 0..5 are the first sequence: dropping the adapter input of the second one only.
    const half = await run(0.5, (row) => (row < 6 ? 1 : 0));
    const n = half.length / 2;
    assert.ok(maxAbsDiff(half.subarray(0, n), adapted.subarray(0, n)) < 1e-6);
    assert.ok(maxAbsDiff(half.subarray(n), (base.data as Float32Array).subarray(n)) < 1e-5);
  });
});

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}
