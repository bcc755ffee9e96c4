import assert from 'node:assert/strict';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { grad } from '../../../src/core/autodiff/grad.js';
import { RECOMPUTED_SUFFIX } from '../../../src/core/autodiff/recompute.js';
import type { Node, Value } from '../../../src/core/graph/graph.js';
import { liveNodes } from '../../../src/core/graph/onnx.js';
import { buildLlamaTrainingGraph, type LlamaTrainingGraph } from '../../../src/core/model/llama.js';
import { Rng } from '../../../src/core/rng.js';
import type { Tensor } from '../../../src/core/tensor.js';
import { type WeightPlan, planWeights } from '../../helpers/plan-weights.js';
import { int64, llamaConfig, randomWeights } from '../model/helpers.js';

const config = llamaConfig({ numHiddenLayers: 3 });
const weights = randomWeights(config, 31, 0.3);
const B = 2;
const S = 6;
const layer = (l: number, m: string) => `model.layers.${l}.${m}.weight`;
const rng = new Rng(32);
const pick = (n: number, k: number) => Int32Array.from(rng.shuffle([...Array(n).keys()]).slice(0, k).sort((a, b) => a - b));
/** Every kind of source in one graph: dense, sparse, LoRA with a fed dropout draw, frozen. */
const PLAN: WeightPlan = {
  dense: [layer(0, 'self_attn.q_proj'), layer(2, 'mlp.down_proj'), 'model.norm.weight', layer(1, 'input_layernorm')],
  sparse: new Map([
    [layer(0, 'mlp.up_proj'), pick(96 * 64, 200)],
    [layer(1, 'self_attn.k_proj'), pick(32 * 64, 50)],
  ]),
  lora: { targets: [layer(1, 'self_attn.v_proj'), layer(2, 'self_attn.o_proj'), layer(0, 'mlp.gate_proj')], rank: 2, alpha: 3, dropout: 0.25 },
};

function build(recompute: boolean): { tg: LlamaTrainingGraph; grads: Value[] } {
  const tg = buildLlamaTrainingGraph(config, { batch: B, seqLen: S, weights: planWeights(weights, PLAN) });
  const grads = grad(tg.graph, tg.loss, [...tg.trainable.values()], recompute ? { recompute: tg.layerSegments } : {});
  return { tg, grads };
}

function feeds(tg: LlamaTrainingGraph): Record<string, Tensor> {
  const r = new Rng(33);
  const ids = Array.from({ length: B }, () => Array.from({ length: S }, () => 1 + r.int(config.vocabSize - 1)));
  const mask = [Array(S).fill(1), [...Array(S - 2).fill(1), 0, 0]];
  const labels = ids.map((row, b) => row.map((t, i) => (i === 0 || mask[b]![i] === 0 ? -100 : t)));
  const out: Record<string, Tensor> = { input_ids: int64(ids), attention_mask: int64(mask), labels: int64(labels) };
  const fill = (v: Value, f: () => number) => (out[v.name] = { dtype: 'float32', shape: v.shape, data: Float32Array.from({ length: v.shape.reduce((a, b) => a * b, 1) }, f) });
  for (const v of tg.trainable.values()) fill(v, () => 0.2 * r.normal());
  for (const v of tg.fed.values()) fill(v, () => (r.next() < 0.25 ? 0 : 1 / 0.75));
  return out;
}

/** Activations of a layer that a node outside the forward reads (what stays alive for the backward). */
function saved(tg: LlamaTrainingGraph, forward: ReadonlySet<Node>, live: readonly Node[]): Set<Value> {
  const internal = new Set<Value>();
  for (const seg of tg.layerSegments) {
    // Activations: what depends on the layer's input (weights a source builds in the layer, e.g. a scattered sparse W, are not).
    const reach = new Set<Value>([seg.input]);
    for (const n of seg.nodes) {
      if (!n.inputs.some((v) => reach.has(v))) continue;
      for (const o of n.outputs) {
        reach.add(o);
        if (o !== seg.output) internal.add(o);
      }
    }
  }
  const out = new Set<Value>();
  for (const n of live) if (!forward.has(n)) for (const v of n.inputs) if (internal.has(v)) out.add(v);
  return out;
}

describe('activation recomputation (grad option recompute)', () => {
  it('the backward reads no stored activation of a layer: it reads recomputed ones, started after the layer output gradient', () => {
    const plain = build(false);
    const forwardPlain = new Set(plain.tg.graph.nodes.slice(0, plain.tg.graph.nodes.indexOf(plain.tg.loss.producer!) + 1));
    const livePlain = liveNodes(plain.tg.graph, [plain.tg.loss, ...plain.grads]);
    const re = build(true);
    const forwardRe = new Set(re.tg.graph.nodes.slice(0, re.tg.graph.nodes.indexOf(re.tg.loss.producer!) + 1));
    const liveRe = liveNodes(re.tg.graph, [re.tg.loss, ...re.grads]);

    const before = saved(plain.tg, forwardPlain, livePlain).size;
    const after = saved(re.tg, forwardRe, liveRe).size;
    assert.ok(before > 10 * config.numHiddenLayers, `without recomputation the backward reads ${before} layer activations`);
    assert.equal(after, 0, 'with recomputation the backward reads no stored layer activation');

    const recomputed = liveRe.filter((n) => !forwardRe.has(n) && n.outputs.some((o) => o.name.endsWith(RECOMPUTED_SUFFIX)));
    assert.ok(recomputed.length > 10 * config.numHiddenLayers, `${recomputed.length} recomputed nodes`);
    // One restart per layer: input + 0 where the 0 comes from the gradient of the layer's output.
    const starts = liveRe.filter((n) => n.op === 'Add' && re.tg.layerSegments.some((s) => n.inputs[0] === s.input) && n.outputs[0]!.name.endsWith(RECOMPUTED_SUFFIX));
    assert.equal(starts.length, config.numHiddenLayers);
    for (const n of starts) {
      const zero = n.inputs[1]!;
      assert.ok(!forwardRe.has(zero.producer!), 'the restart depends on a backward value');
    }
    // The recomputed nodes are the forward's ops again, not new kinds.
    const forwardOps = new Set([...forwardRe].map((n) => n.op));
    for (const n of recomputed) if (!starts.includes(n)) assert.ok(forwardOps.has(n.op), n.op);
  });

  async function compare(level: 'basic' | 'all'): Promise<{ worst: number; a: Record<string, Tensor>; b: Record<string, Tensor> }> {
    const backend = new OnnxRuntimeBackend({ intraOpThreads: 1, graphOptimizationLevel: level });
    const results: Record<string, Tensor>[] = [];
    for (const recompute of [false, true]) {
      const { tg, grads } = build(recompute);
      const exe = await backend.compile(tg.graph, [tg.loss, ...grads]);
      const out = await exe.run(feeds(tg));
      // Keyed by trainable input so both graphs compare (gradient value names may differ).
      const byInput: Record<string, Tensor> = { loss: out[tg.loss.name]! };
      [...tg.trainable.keys()].forEach((name, i) => (byInput[name] = out[grads[i]!.name]!));
      results.push(byInput);
      await exe.dispose();
    }
    const [a, b] = results as [Record<string, Tensor>, Record<string, Tensor>];
    assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort());
    let worst = 0;
    for (const k of Object.keys(a)) {
      const x = a[k]!.data as Float32Array;
      const y = b[k]!.data as Float32Array;
      assert.equal(y.length, x.length, k);
      let scale = 0;
      for (const v of x) scale = Math.max(scale, Math.abs(v));
      assert.ok(scale > 0, `${k} is all zero: the comparison says nothing`);
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / scale);
    }
    return { worst, a, b };
  }

  it('loss and every gradient are bitwise those without recomputation (ONNX Runtime, basic optimizations)', async () => {
    const { worst, a, b } = await compare('basic');
    for (const k of Object.keys(a)) assert.deepEqual(b[k]!.data, a[k]!.data, k);
    assert.equal(worst, 0);
  });

  // At ONNX Runtime's extended level the forward nodes whose outputs the backward no longer reads
  // get fused (x·sigmoid(x) → QuickGelu, the RMSNorm chain → SimplifiedLayerNormalization), and
  // a fused kernel rounds differently from the unfused ops the recomputed copy runs: the numbers
  // agree to float32 rounding, not bit for bit.
  it('with full optimizations (the default) they agree to float32 rounding', async () => {
    const { worst, a, b } = await compare('all');
    assert.ok(worst < 1e-5, `largest difference ${worst.toExponential(2)} of a tensor's largest entry`);
    const la = (a.loss!.data as Float32Array)[0]!;
    const lb = (b.loss!.data as Float32Array)[0]!;
    assert.ok(Math.abs(la - lb) <= 4 * Math.abs(la) * 2 ** -24, `loss ${la} vs ${lb}`);
    console.log(`      largest difference ${worst.toExponential(2)} of a tensor's largest entry`);
  });
});
