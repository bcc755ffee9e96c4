/**
 * The Llama-family decoder as a graph with free batch, sequence and past lengths and a growing
 * KV cache, with the inputs and outputs Hugging Face's ONNX decoders have (the layout
 * transformers.js runs):
 *   input_ids int64 [batch_size, sequence_length]
 *   attention_mask int64 [batch_size, past_sequence_length + sequence_length]
 *   position_ids int64 [batch_size, sequence_length]
 *   past_key_values.{l}.key / .value  [batch_size, kv_heads, past_sequence_length, head_dim]
 * → logits [batch_size, sequence_length, vocab], present.{l}.key / .value
 *   [batch_size, kv_heads, past_sequence_length + sequence_length, head_dim] (past with the new
 *   tokens appended).
 *
 * The math is llama.ts' (the same RoPE tables, grouped-query folding, −1e9 mask bias), so a
 * fine-tuned model exports as the function lift-sft trained and evaluated. What differs is
 * only how shapes are written: the training and generation graphs are static (ONNX Runtime plans
 * their memory once), while this one must run at any size. So no op here states a size that
 * depends on batch, sequence or past: reshapes copy (0) or infer (−1) those dimensions, linear
 * layers are MatMuls over [batch, seq, in], and the causal mask is computed from running counts
 * of the mask and the ids (CumSum) rather than from constant tables. The graph is built at
 * witness sizes, and symbolic.ts proves no witness leaked in.
 */
import { GraphBuildError } from '../errors.js';
import { Graph, type Value } from '../graph/graph.js';
import * as op from '../graph/ops.js';
import { type Dim, dimAdd, sym } from '../graph/symbolic.js';
import { type Tensor, numel, sameShape, shapeToString, tensor } from '../tensor.js';
import { type ModelConfig, parameterShapes } from './config.js';
import { ATTENTION_MASK_VALUE } from './llama.js';
import { ropeTables } from './rope.js';

export const DECODER_INPUTS = { inputIds: 'input_ids', attentionMask: 'attention_mask', positionIds: 'position_ids' } as const;
export const pastName = (layer: number, kind: 'key' | 'value') => `past_key_values.${layer}.${kind}`;
export const presentName = (layer: number, kind: 'key' | 'value') => `present.${layer}.${kind}`;

/** The free sizes, by the names Hugging Face's exporters give them. */
export const BATCH = 'batch_size';
export const SEQUENCE = 'sequence_length';
export const PAST = 'past_sequence_length';

export interface DecoderGraph {
  graph: Graph;
  /** Graph inputs in declaration order: input_ids, attention_mask, position_ids, then past key/value per layer. */
  inputs: Value[];
  /** logits, then present key/value per layer. */
  outputs: Value[];
  /** The declared symbolic dimensions of every input. */
  inputDims: Map<string, Dim[]>;
}

export interface DecoderBuildOptions {
  /** Merged float32 weights by Hugging Face name (every parameter of the config). */
  weights: ReadonlyMap<string, Tensor>;
  /** Sizes the graph is built at (any; nothing depends on them). Default batch 2, sequence 3, past 5. */
  witness?: { batch: number; sequence: number; past: number };
  /** Rows of the RoPE tables: the positions the model accepts. Default config.maxPositionEmbeddings. */
  maxPositions?: number;
}

export function buildLlamaDecoder(config: ModelConfig, opts: DecoderBuildOptions): DecoderGraph {
  const c = config;
  if (c.numAttentionHeads % c.numKeyValueHeads !== 0) throw new GraphBuildError('invalid model config: numAttentionHeads must be a multiple of numKeyValueHeads');
  const { batch: B, sequence: S, past: P } = opts.witness ?? { batch: 2, sequence: 3, past: 5 };
  const T = P + S;
  const g = new Graph(`${c.modelType}-decoder`);
  const H = c.numAttentionHeads;
  const KV = c.numKeyValueHeads;
  const D = c.headDim;
  const rep = H / KV;
  const shapes = parameterShapes(c);
  const cache = new Map<string, Value>();
  const param = (name: string): Value => {
    const hit = cache.get(name);
    if (hit) return hit;
    const shape = shapes.get(name);
    const t = opts.weights.get(name);
    if (!shape) throw new GraphBuildError(`'${name}' is not a parameter of this ${c.modelType} config`);
    if (!t) throw new GraphBuildError(`no tensor for model parameter '${name}'`, { name });
    if (t.dtype !== 'float32' || !sameShape(t.shape, shape)) {
      throw new GraphBuildError(`tensor for '${name}' is ${t.dtype}${shapeToString(t.shape)}, the config needs float32${shapeToString(shape)}`, { name });
    }
    const v = g.initializer(name, t);
    cache.set(name, v);
    return v;
  };
  const has = (name: string) => shapes.has(name);

  const inputIds = g.input(DECODER_INPUTS.inputIds, 'int64', [B, S]);
  const attentionMask = g.input(DECODER_INPUTS.attentionMask, 'int64', [B, T]);
  const positionIds = g.input(DECODER_INPUTS.positionIds, 'int64', [B, S]);
  const past = Array.from({ length: c.numHiddenLayers }, (_, l) => ({
    key: g.input(pastName(l, 'key'), 'float32', [B, KV, P, D]),
    value: g.input(pastName(l, 'value'), 'float32', [B, KV, P, D]),
  }));
  const batch = sym(BATCH);
  const seq = sym(SEQUENCE);
  const pastLen = sym(PAST);
  const total = dimAdd(pastLen, seq);
  const inputDims = new Map<string, Dim[]>([
    [inputIds.name, [batch, seq]],
    [attentionMask.name, [batch, total]],
    [positionIds.name, [batch, seq]],
  ]);
  for (const p of past) for (const v of [p.key, p.value]) inputDims.set(v.name, [batch, KV, pastLen, D]);

  // RoPE: the host tables of llama.ts (queries carry 1/sqrt(head_dim)), gathered at position_ids.
  const rows = opts.maxPositions ?? c.maxPositionEmbeddings;
  const qt = ropeTables(c, rows, 'float32', 1 / Math.sqrt(D));
  const kt = ropeTables(c, rows, 'float32', 1);
  const table = (name: string, t: Tensor) => op.unsqueeze(op.gather(g.initializer(name, t), positionIds, 0), [2]); // [B, S, 1, D]
  const rope = { qCos: table('rope.q_cos', qt.cos), qSin: table('rope.q_sin', qt.sinSigned), kCos: table('rope.k_cos', kt.cos), kSin: table('rope.k_sin', kt.sinSigned) };

  const bias = attentionBias(g, inputIds, attentionMask);

  const outputs: Value[] = [];
  const presents: Value[] = [];
  let x = op.gather(param('model.embed_tokens.weight'), inputIds, 0); // [B, S, hidden]
  for (let l = 0; l < c.numHiddenLayers; l++) {
    const pre = `model.layers.${l}.`;
    const h = rmsNorm(g, x, param(pre + 'input_layernorm.weight'), c.rmsNormEps);
    const lin = (name: string, input: Value) => linear(input, param(pre + name + '.weight'), has(pre + name + '.bias') ? param(pre + name + '.bias') : undefined);
    const q = reshape(lin('self_attn.q_proj', h), [0, 0, H, D]);
    const k = reshape(lin('self_attn.k_proj', h), [0, 0, KV, D]);
    const v = reshape(lin('self_attn.v_proj', h), [0, 0, KV, D]);
    const qr = applyRope(q, rope.qCos, rope.qSin);
    const kr = applyRope(k, rope.kCos, rope.kSin);
    const key = named(g, 'Concat', [past[l]!.key, op.transpose(kr, [0, 2, 1, 3])], presentName(l, 'key'), [B, KV, T, D], { axis: 2 });
    const value = named(g, 'Concat', [past[l]!.value, op.transpose(v, [0, 2, 1, 3])], presentName(l, 'value'), [B, KV, T, D], { axis: 2 });
    presents.push(key, value);
    // Query head j·rep + r uses kv head j: [B, H, S, D] → [B, KV, rep·S, D], as in llama.ts.
    const qg = reshape(op.transpose(qr, [0, 2, 1, 3]), [0, KV, -1, D]);
    const scores = reshape(op.matmul(qg, op.transpose(key, [0, 1, 3, 2])), [0, H, -1, 0]); // [B, H, S, T]
    const probs = reshape(op.softmax(op.add(scores, bias), -1), [0, KV, -1, 0]);
    const ctx = reshape(op.matmul(probs, value), [0, H, -1, D]);
    const merged = reshape(op.transpose(ctx, [0, 2, 1, 3]), [0, 0, H * D]);
    const x1 = op.add(x, lin('self_attn.o_proj', merged));
    const h2 = rmsNorm(g, x1, param(pre + 'post_attention_layernorm.weight'), c.rmsNormEps);
    const gate = lin('mlp.gate_proj', h2);
    const act = op.mul(op.mul(gate, op.sigmoid(gate)), lin('mlp.up_proj', h2));
    x = op.add(x1, lin('mlp.down_proj', act));
  }
  x = rmsNorm(g, x, param('model.norm.weight'), c.rmsNormEps);
  const head = param(c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
  const logits = named(g, 'MatMul', [x, op.transpose(head, [1, 0])], 'logits', [B, S, c.vocabSize]);
  outputs.push(logits, ...presents);
  return { graph: g, inputs: [inputIds, attentionMask, positionIds, ...past.flatMap((p) => [p.key, p.value])], outputs, inputDims };
}

/**
 * [B, 1, S, T] additive bias: −1e9 where key slot j lies after the query's slot or is padding
 * (the same values as llama.ts). Query i of this step sits at slot T − S + i; the slots are
 * counted with CumSum over the ids and the mask, so no size is stated.
 */
function attentionBias(g: Graph, ids: Value, mask: Value): Value {
  const one = op.scalar(g, 1, 'int64');
  const zero = op.scalar(g, 0, 'int64');
  const ones = (v: Value) => op.add(op.mul(v, zero), one);
  const slots = (o: Value) => op.sub(cumsum(o, 1), one); // 0, 1, ... along axis 1
  const onesT = ones(mask);
  const onesS = ones(ids);
  const keySlot = slots(onesT); // [B, T]
  const pastLen = op.sub(op.reduceSum(onesT, [1], true), op.reduceSum(onesS, [1], true)); // [B, 1]
  const querySlot = op.add(slots(onesS), pastLen); // [B, S]
  const future = op.greater(op.unsqueeze(keySlot, [1]), op.unsqueeze(querySlot, [2])); // [B, S, T]
  const causal = op.where(future, op.scalar(g, ATTENTION_MASK_VALUE, 'float32'), op.scalar(g, 0, 'float32'));
  const m = op.cast(mask, 'float32');
  const padding = op.mul(op.sub(m, op.scalar(g, 1, 'float32')), op.scalar(g, -ATTENTION_MASK_VALUE, 'float32')); // [B, T]
  return op.unsqueeze(op.add(causal, op.unsqueeze(padding, [1])), [1]);
}

function cumsum(x: Value, axis: number): Value {
  const g = x.graph;
  return g.addNode('CumSum', [x, op.constant(g, tensor('int64', [], BigInt64Array.of(BigInt(axis))), 'axis')], [{ dtype: x.dtype, shape: x.shape }])[0]!;
}

/** x·Wᵀ (+ b) over the last axis of x [.., in]. The transpose of the W initializer folds away when the session loads. */
function linear(x: Value, w: Value, b?: Value): Value {
  const y = op.matmul(x, op.transpose(w, [1, 0]));
  return b ? op.add(y, b) : y;
}

/** HF's RMSNorm with llama.ts' op pattern (which ONNX Runtime fuses). */
function rmsNorm(g: Graph, x: Value, w: Value, eps: number): Value {
  const ms = op.reduceMean(op.pow(x, op.scalar(g, 2, 'float32')), [-1], true);
  return op.mul(op.div(x, op.sqrt(op.add(ms, op.scalar(g, eps, 'float32')))), w);
}

function applyRope(x: Value, cos: Value, sinSigned: Value): Value {
  const half = x.shape[x.rank - 1]! / 2;
  const [x1, x2] = op.split(x, [half, half], -1) as [Value, Value];
  return op.add(op.mul(x, cos), op.mul(op.concat([x2, x1], -1), sinSigned));
}

/**
 * Reshape whose target is written as given: 0 copies the input's dimension, −1 takes the rest.
 * (ops.reshape writes the resolved static shape, which would bake the witness sizes in.)
 */
function reshape(x: Value, target: readonly number[]): Value {
  let infer = -1;
  const out = target.map((d, i) => {
    if (d === -1) infer = i;
    return d === 0 ? x.shape[i]! : d === -1 ? 1 : d;
  });
  if (infer >= 0) out[infer] = numel(x.shape) / numel(out);
  if (!Number.isInteger(out[infer] ?? 0) || numel(out) !== numel(x.shape)) {
    throw new GraphBuildError(`Reshape: cannot reshape ${x.name} ${shapeToString(x.shape)} to [${target.join(', ')}]`);
  }
  return x.graph.addNode('Reshape', [x, op.int64s(x.graph, target)], [{ dtype: x.dtype, shape: out }])[0]!;
}

/** A node whose output carries a public name (present.{l}.key, logits); its shape is checked by symbolic.ts. */
function named(g: Graph, opType: string, inputs: Value[], name: string, shape: number[], attrs = {}): Value {
  return g.addNode(opType, inputs, [{ dtype: inputs[0]!.dtype, shape, name }], attrs)[0]!;
}
