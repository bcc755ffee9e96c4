/**
 * A plain float64 forward pass of a Llama-family decoder in nested loops: no graph, no helpers
 * shared with llama.ts or rope.ts. It documents the math that the graph builder must reproduce
 * (the Hugging Face transformers implementation of Llama, Mistral and Qwen2) and checks it.
 *
 * Masked attention entries get an additive −1e9, as in the graph, so a query row with no visible
 * key (left padding's leading pads) is finite and meaningless in both.
 */
import type { Tensor } from '../../src/core/tensor.js';
import type { ModelConfig } from '../../src/core/model/config.js';

export interface ReferenceInput {
  inputIds: readonly (readonly number[])[];
  /** 1 = real token, 0 = padding; defaults to all ones. */
  attentionMask?: readonly (readonly number[])[];
  /** Defaults to 0..seq−1 for every row, as HF's forward does without position_ids. */
  positionIds?: readonly (readonly number[])[];
}

export interface ReferenceOutput {
  /** Row-major [batch, seq, vocab]. */
  logits: Float64Array;
  shape: [number, number, number];
}

const MASKED = -1e9;

export function referenceForward(config: ModelConfig, weights: ReadonlyMap<string, Tensor>, input: ReferenceInput): ReferenceOutput {
  const B = input.inputIds.length;
  const S = input.inputIds[0]!.length;
  const Hd = config.hiddenSize;
  const nH = config.numAttentionHeads;
  const nKv = config.numKeyValueHeads;
  const D = config.headDim;
  const I = config.intermediateSize;
  const V = config.vocabSize;
  const half = D / 2;

  const w = (name: string): Float64Array => {
    const t = weights.get(name);
    if (!t) throw new Error(`reference: missing weight '${name}'`);
    return Float64Array.from(t.data as ArrayLike<number>);
  };
  const maybe = (name: string): Float64Array | null => (weights.has(name) ? w(name) : null);

  // y[o] = Σ_i W[o, i]·x[i] + b[o], with W in HF's [out, in] layout.
  const linear = (x: Float64Array, W: Float64Array, b: Float64Array | null, out: number, inn: number): Float64Array => {
    const y = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      let s = b ? b[o]! : 0;
      for (let i = 0; i < inn; i++) s += W[o * inn + i]! * x[i]!;
      y[o] = s;
    }
    return y;
  };
  const rmsNorm = (x: Float64Array, g: Float64Array): Float64Array => {
    let ss = 0;
    for (let i = 0; i < x.length; i++) ss += x[i]! * x[i]!;
    const inv = 1 / Math.sqrt(ss / x.length + config.rmsNormEps);
    return x.map((v, i) => g[i]! * v * inv);
  };

  // Rotary frequencies, written out from the HF definitions.
  const invFreq: number[] = [];
  for (let i = 0; i < half; i++) invFreq.push(1 / Math.pow(config.ropeTheta, (2 * i) / D));
  const sc = config.ropeScaling;
  if (sc?.type === 'linear') {
    for (let i = 0; i < half; i++) invFreq[i] = invFreq[i]! / sc.factor;
  } else if (sc?.type === 'llama3') {
    const lowFreqWavelen = sc.originalMaxPositionEmbeddings / sc.lowFreqFactor;
    const highFreqWavelen = sc.originalMaxPositionEmbeddings / sc.highFreqFactor;
    for (let i = 0; i < half; i++) {
      const f = invFreq[i]!;
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < highFreqWavelen) continue; // high frequency: unchanged
      if (wavelen > lowFreqWavelen) {
        invFreq[i] = f / sc.factor; // low frequency: interpolated
      } else {
        const smooth = (sc.originalMaxPositionEmbeddings / wavelen - sc.lowFreqFactor) / (sc.highFreqFactor - sc.lowFreqFactor);
        invFreq[i] = (1 - smooth) * (f / sc.factor) + smooth * f;
      }
    }
  }
  // rotate-half: the first and second halves of a head are the pair (x1, x2) of each frequency.
  const rope = (x: Float64Array, offset: number, pos: number) => {
    for (let i = 0; i < half; i++) {
      const a = pos * invFreq[i]!;
      const c = Math.cos(a);
      const s = Math.sin(a);
      const x1 = x[offset + i]!;
      const x2 = x[offset + half + i]!;
      x[offset + i] = x1 * c - x2 * s;
      x[offset + half + i] = x2 * c + x1 * s;
    }
  };

  const embed = w('model.embed_tokens.weight');
  const lmHead = config.tieWordEmbeddings ? embed : w('lm_head.weight');
  const logits = new Float64Array(B * S * V);

  for (let b = 0; b < B; b++) {
    const ids = input.inputIds[b]!;
    const mask = input.attentionMask?.[b] ?? ids.map(() => 1);
    const pos = input.positionIds?.[b] ?? ids.map((_, t) => t);
    let x: Float64Array[] = ids.map((id) => embed.slice(id * Hd, (id + 1) * Hd));

    for (let l = 0; l < config.numHiddenLayers; l++) {
      const p = `model.layers.${l}.`;
      const Wq = w(p + 'self_attn.q_proj.weight');
      const Wk = w(p + 'self_attn.k_proj.weight');
      const Wv = w(p + 'self_attn.v_proj.weight');
      const Wo = w(p + 'self_attn.o_proj.weight');
      const bq = maybe(p + 'self_attn.q_proj.bias');
      const bk = maybe(p + 'self_attn.k_proj.bias');
      const bv = maybe(p + 'self_attn.v_proj.bias');
      const bo = maybe(p + 'self_attn.o_proj.bias');

      const q: Float64Array[] = [];
      const k: Float64Array[] = [];
      const v: Float64Array[] = [];
      for (let t = 0; t < S; t++) {
        const h = rmsNorm(x[t]!, w(p + 'input_layernorm.weight'));
        const qt = linear(h, Wq, bq, nH * D, Hd);
        const kt = linear(h, Wk, bk, nKv * D, Hd);
        for (let hh = 0; hh < nH; hh++) rope(qt, hh * D, pos[t]!);
        for (let hh = 0; hh < nKv; hh++) rope(kt, hh * D, pos[t]!);
        q.push(qt);
        k.push(kt);
        v.push(linear(h, Wv, bv, nKv * D, Hd));
      }

      const next: Float64Array[] = [];
      for (let t = 0; t < S; t++) {
        const attn = new Float64Array(nH * D);
        for (let hh = 0; hh < nH; hh++) {
          const kvh = Math.floor(hh / (nH / nKv)); // grouped-query: consecutive query heads share a kv head
          const scores = new Float64Array(S);
          for (let j = 0; j < S; j++) {
            let s = 0;
            for (let d = 0; d < D; d++) s += q[t]![hh * D + d]! * k[j]![kvh * D + d]!;
            s /= Math.sqrt(D);
            if (j > t) s += MASKED;
            if (mask[j] === 0) s += MASKED;
            scores[j] = s;
          }
          let max = -Infinity;
          for (const s of scores) max = Math.max(max, s);
          let z = 0;
          for (let j = 0; j < S; j++) z += (scores[j] = Math.exp(scores[j]! - max));
          for (let j = 0; j < S; j++) {
            const pj = scores[j]! / z;
            for (let d = 0; d < D; d++) attn[hh * D + d]! += pj * v[j]![kvh * D + d]!;
          }
        }
        const o = linear(attn, Wo, bo, Hd, nH * D);
        const x1 = x[t]!.map((xi, i) => xi + o[i]!);

        const h2 = rmsNorm(x1, w(p + 'post_attention_layernorm.weight'));
        const g = linear(h2, w(p + 'mlp.gate_proj.weight'), maybe(p + 'mlp.gate_proj.bias'), I, Hd);
        const u = linear(h2, w(p + 'mlp.up_proj.weight'), maybe(p + 'mlp.up_proj.bias'), I, Hd);
        const act = g.map((gi, i) => (gi / (1 + Math.exp(-gi))) * u[i]!);
        const down = linear(act, w(p + 'mlp.down_proj.weight'), maybe(p + 'mlp.down_proj.bias'), Hd, I);
        next.push(x1.map((xi, i) => xi + down[i]!));
      }
      x = next;
    }

    const normW = w('model.norm.weight');
    for (let t = 0; t < S; t++) {
      const row = linear(rmsNorm(x[t]!, normW), lmHead, null, V, Hd);
      logits.set(row, (b * S + t) * V);
    }
  }
  return { logits, shape: [B, S, V] };
}

/**
 * HF causal-LM loss: position t predicts labels[t+1]; −100 is ignored; the mean over counted
 * tokens (0 when none are counted).
 */
export function referenceLoss(out: ReferenceOutput, labels: readonly (readonly number[])[]): { loss: number; count: number } {
  const [B, S, V] = out.shape;
  let sum = 0;
  let count = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t + 1 < S; t++) {
      const y = labels[b]![t + 1]!;
      if (y === -100) continue;
      const row = out.logits.subarray((b * S + t) * V, (b * S + t + 1) * V);
      let max = -Infinity;
      for (const v of row) max = Math.max(max, v);
      let z = 0;
      for (const v of row) z += Math.exp(v - max);
      sum += -(row[y]! - max - Math.log(z));
      count++;
    }
  }
  return { loss: sum / Math.max(count, 1), count };
}
