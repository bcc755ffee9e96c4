import assert from 'node:assert/strict';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { grad } from '../../../src/core/autodiff/grad.js';
import type { ModelConfig } from '../../../src/core/model/config.js';
import { buildLlamaTrainingGraph } from '../../../src/core/model/llama.js';
import { planWeights } from '../../helpers/plan-weights.js';
import { Rng } from '../../../src/core/rng.js';
import type { Tensor } from '../../../src/core/tensor.js';
import { int64, llamaConfig, randomWeights } from './helpers.js';

// ONNX Runtime's extended optimizations fuse x·sigmoid(x) into com.microsoft.QuickGelu, which has
// float32 kernels only; float64 graphs therefore run with the basic level.
const backend = new OnnxRuntimeBackend({ intraOpThreads: 1, graphOptimizationLevel: 'basic' });

function tiny(over: Partial<ModelConfig> = {}): ModelConfig {
  return llamaConfig({
    vocabSize: 11,
    hiddenSize: 8,
    intermediateSize: 12,
    numHiddenLayers: 1,
    numAttentionHeads: 2,
    numKeyValueHeads: 1,
    headDim: 4,
    ropeScaling: { type: 'llama3', factor: 4, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8 },
    ...over,
  });
}

/**
 * Builds the float64 training graph with a mix of parametrizations, takes grad() of the loss for
 * every trainable input and compares sampled entries with central finite differences.
 */
async function check(config: ModelConfig, plan: Parameters<typeof planWeights>[1], entriesPerInput = 4): Promise<number> {
  const weights = randomWeights(config, 21, 0.4);
  const rng = new Rng(22);
  const B = 2;
  const S = 5;
  const x = [
    [1, 4, 7, 3, 9],
    [5, 10, 2, 0, 0],
  ];
  const mask = [
    [1, 1, 1, 1, 1],
    [1, 1, 1, 0, 0],
  ];
  const labels = [
    [-100, 4, 7, 3, 9],
    [5, 10, 2, -100, -100],
  ];
  const tg = buildLlamaTrainingGraph(config, { batch: B, seqLen: S, weights: planWeights(weights, plan), dtype: 'float64' });
  const wrt = [...tg.trainable.values()];
  const grads = grad(tg.graph, tg.loss, wrt);
  const exe = await backend.compile(tg.graph, [tg.loss, ...grads]);
  const lossOnly = await backend.compile(tg.graph, [tg.loss]);

  const feeds: Record<string, Tensor> = { input_ids: int64(x), attention_mask: int64(mask), labels: int64(labels) };
  for (const [name, binding] of tg.params) {
    for (const [input, v] of binding.inputs) {
      let data: Float64Array;
      if (binding.source.label === 'dense') data = Float64Array.from(weights.get(name)!.data);
      else if (binding.source.label === 'sparse') {
        const w = weights.get(name)!.data;
        data = Float64Array.from(plan!.sparse!.get(name)!, (i) => w[i]!);
      } else data = Float64Array.from({ length: v.shape.reduce((a, b) => a * b, 1) }, () => 0.3 * rng.normal());
      feeds[input] = { dtype: 'float64', shape: v.shape, data };
    }
  }
  // LoRA dropout factors: a fixed draw of 0 or 1/(1−p), as the trainer feeds in training.
  for (const v of tg.fed.values()) {
    const p = plan!.lora!.dropout!;
    feeds[v.name] = { dtype: 'float64', shape: v.shape, data: Float64Array.from({ length: v.shape.reduce((a, b) => a * b, 1) }, () => (rng.next() < p ? 0 : 1 / (1 - p))) };
  }
  const out = await exe.run(feeds);
  const loss = async () => (await lossOnly.run(feeds)).loss!.data[0] as number;

  let worst = 0;
  const h = 1e-5;
  for (let i = 0; i < wrt.length; i++) {
    const v = wrt[i]!;
    const g = out[grads[i]!.name]!.data as Float64Array;
    const data = feeds[v.name]!.data as Float64Array;
    const picks = new Set<number>();
    // The largest gradient entry plus random ones.
    let arg = 0;
    for (let j = 1; j < g.length; j++) if (Math.abs(g[j]!) > Math.abs(g[arg]!)) arg = j;
    picks.add(arg);
    while (picks.size < Math.min(entriesPerInput, data.length)) picks.add(rng.int(data.length));
    for (const j of picks) {
      const keep = data[j]!;
      data[j] = keep + h;
      const up = await loss();
      data[j] = keep - h;
      const dn = await loss();
      data[j] = keep;
      const fd = (up - dn) / (2 * h);
      const rel = Math.abs(fd - g[j]!) / Math.max(Math.abs(fd), Math.abs(g[j]!), 1e-4);
      assert.ok(rel < 1e-6, `${v.name}[${j}]: grad ${g[j]} vs finite difference ${fd} (relative error ${rel.toExponential(2)})`);
      worst = Math.max(worst, rel);
    }
    assert.ok(Math.abs(g[arg]!) > 1e-6, `${v.name}: gradient is all but zero, the check says nothing`);
  }
  await exe.dispose();
  await lossOnly.dispose();
  return worst;
}

describe('llama training graph: gradients vs central finite differences (float64)', () => {
  it('dense q_proj, down_proj, embeddings, norms and lm_head; sparse k_proj and up_proj; LoRA on v_proj and o_proj', async () => {
    const config = tiny();
    const rng = new Rng(23);
    const pick = (n: number, k: number) => Int32Array.from(rng.shuffle([...Array(n).keys()]).slice(0, k).sort((a, b) => a - b));
    const worst = await check(config, {
      dense: [
        'model.layers.0.self_attn.q_proj.weight',
        'model.layers.0.mlp.down_proj.weight',
        'model.embed_tokens.weight',
        'model.layers.0.input_layernorm.weight',
        'model.layers.0.post_attention_layernorm.weight',
        'model.norm.weight',
        'lm_head.weight',
      ],
      sparse: new Map([
        ['model.layers.0.self_attn.k_proj.weight', pick(4 * 8, 7)],
        ['model.layers.0.mlp.up_proj.weight', pick(12 * 8, 10)],
      ]),
      lora: { targets: ['model.layers.0.self_attn.v_proj.weight', 'model.layers.0.self_attn.o_proj.weight'], rank: 2, alpha: 3 },
    });
    console.log(`      worst relative error ${worst.toExponential(2)}`);
  });

  it('LoRA with dropout on every linear of the layer (a fixed dropout draw fed)', async () => {
    const config = tiny();
    const targets = ['q_proj', 'k_proj', 'v_proj', 'o_proj'].map((m) => `model.layers.0.self_attn.${m}.weight`).concat(['gate_proj', 'up_proj', 'down_proj'].map((m) => `model.layers.0.mlp.${m}.weight`));
    const worst = await check(config, { dense: ['model.norm.weight'], lora: { targets, rank: 2, alpha: 3, dropout: 0.3 } });
    console.log(`      worst relative error ${worst.toExponential(2)}`);
  });

  it('tied embeddings with q/k/v bias and rope_scaling linear: every parameter dense', async () => {
    const config = tiny({ tieWordEmbeddings: true, qkvBias: true, ropeScaling: { type: 'linear', factor: 2 } });
    const worst = await check(config, { dense: () => true }, 3);
    console.log(`      worst relative error ${worst.toExponential(2)}`);
  });
});

describe('llama training graph in float32', () => {
  it('compiles with gradients at the default optimization level and agrees with float64', async () => {
    const config = llamaConfig({ numHiddenLayers: 1 });
    const weights = randomWeights(config, 24);
    const rng = new Rng(25);
    const x = [Array.from({ length: 7 }, () => rng.int(config.vocabSize))];
    const plan = {
      dense: ['model.layers.0.self_attn.q_proj.weight', 'model.embed_tokens.weight'],
      sparse: new Map([['model.layers.0.mlp.down_proj.weight', Int32Array.from([0, 5, 77, 300, 4000])]]),
    };
    const grads: Record<string, Float64Array>[] = [];
    for (const dtype of ['float32', 'float64'] as const) {
      const tg = buildLlamaTrainingGraph(config, { batch: 1, seqLen: 7, weights: planWeights(weights, plan), dtype });
      const gs = grad(tg.graph, tg.loss, [...tg.trainable.values()]);
      const be = dtype === 'float32' ? new OnnxRuntimeBackend({ intraOpThreads: 1 }) : backend;
      const exe = await be.compile(tg.graph, gs);
      const feeds: Record<string, Tensor> = { input_ids: int64(x), attention_mask: int64([x[0]!.map(() => 1)]), labels: int64(x) };
      for (const [name, binding] of tg.params) {
        for (const [input, v] of binding.inputs) {
          const w = weights.get(name)!.data;
          const vals = binding.source.label === 'sparse' ? Array.from(plan.sparse.get(name)!, (i) => w[i]!) : Array.from(w);
          feeds[input] = dtype === 'float32' ? { dtype, shape: v.shape, data: Float32Array.from(vals) } : { dtype, shape: v.shape, data: Float64Array.from(vals) };
        }
      }
      const out = await exe.run(feeds);
      await exe.dispose();
      grads.push(Object.fromEntries([...tg.trainable.keys()].map((k, i) => [k, Float64Array.from(out[gs[i]!.name]!.data as Float32Array)])));
    }
    for (const name of Object.keys(grads[1]!)) {
      const a = grads[0]![name]!;
      const b = grads[1]![name]!;
      let scale = 0;
      for (const v of b) scale = Math.max(scale, Math.abs(v));
      let err = 0;
      for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i]! - b[i]!));
      assert.ok(scale > 0 && err / scale < 1e-4, `${name}: max error ${err} at gradient scale ${scale}`);
    }
  });
});
