/**
 * Graph builders for Llama-family decoders (Llama, Mistral, Qwen2): the same function as Hugging
 * Face transformers' implementation, written as graph IR so autodiff can append its backward.
 *
 * Layout, chosen for ONNX Runtime's kernels: activations stay 2-D [batch·seq, hidden] around
 * every linear layer, which is a Gemm with transB=1 against the [out, in] weight (no weight
 * transposes, bias fused as Gemm's C). Attention is batched MatMul over [batch, kv_heads, ·, ·]:
 * grouped-query heads are folded into the row dimension ([batch, kv_heads, rep·seq, head_dim])
 * instead of repeating k and v, so the cache and the backward never materialize the repeats.
 * RoPE tables are host-computed initializers; the query tables carry 1/sqrt(head_dim), so no op
 * scales the scores.
 *
 * attention_mask is int64 [batch, seq] (1 real, 0 padding), what tokenizers emit. Masked scores
 * get an additive −1e9 (not −inf), so rows without a visible key stay finite.
 */
import type { RecomputeSegment } from '../autodiff/recompute.js';
import { GraphBuildError } from '../errors.js';
import { Graph, type Value } from '../graph/graph.js';
import * as op from '../graph/ops.js';
import { type DType, type Tensor, numel, sameShape, shapeToString, tensor } from '../tensor.js';
import { type ModelConfig, parameterShapes } from './config.js';
import { type ParamIO, type ParamSource, type WeightSource, frozenWeights } from './params.js';
import { ropeTables } from './rope.js';

export type ModelDType = 'float32' | 'float64';

/** Additive bias of masked attention scores. */
export const ATTENTION_MASK_VALUE = -1e9;
export const IGNORE_INDEX = -100;

export interface LlamaBuildOptions {
  batch: number;
  seqLen: number;
  /** Where each parameter comes from; a Map freezes every parameter. */
  weights: WeightSource | ReadonlyMap<string, Tensor>;
  /** Compute dtype of the graph (float64 for gradient checks). Default float32. */
  dtype?: ModelDType;
  /**
   * Take position_ids int64 [batch, seq] as an input (needed for left-padded generation, where
   * HF uses cumsum(attention_mask) − 1). Without it positions are 0..seq−1 in every row, as in
   * HF's forward without position_ids. Fed positions must be below `maxPosition`.
   */
  positionIds?: boolean;
  /** Rows of the RoPE tables when positionIds is on. Default seqLen. */
  maxPosition?: number;
}

/** How one HF parameter entered the graph: its source and the graph inputs it created (by name). */
export interface ParamBinding {
  source: ParamSource;
  /** What the source built with (a binding adds its gradient outputs through it). */
  io: ParamIO;
  /** Trainable inputs. */
  inputs: Map<string, Value>;
  /** Fed inputs that are not trained (indices, dropout factors). */
  fed: Map<string, Value>;
}

export interface LlamaModel {
  graph: Graph;
  config: ModelConfig;
  dtype: ModelDType;
  batch: number;
  seqLen: number;
  inputIds: Value;
  attentionMask: Value;
  positionIds?: Value;
  /** [batch·seq, vocab], what the loss consumes. */
  logits2d: Value;
  /** [batch, seq, vocab], named 'logits'. */
  logits: Value;
  /** Trainable graph inputs by name, in creation order. */
  trainable: Map<string, Value>;
  /** Inputs the parameter sources create that are fed but not trained (e.g. dropout factors), by name. */
  fed: Map<string, Value>;
  /** Every parameter the graph uses, by HF name. */
  params: Map<string, ParamBinding>;
  /** One segment per decoder layer (its input, output and nodes): grad's recompute boundaries. */
  layerSegments: RecomputeSegment[];
}

export interface FeedSpec {
  name: string;
  dtype: DType;
  shape: readonly number[];
  role: 'input_ids' | 'attention_mask' | 'position_ids' | 'labels' | 'trainable' | 'fed';
}

export interface LlamaTrainingGraph extends LlamaModel {
  labels: Value;
  /** Scalar mean negative log-likelihood over counted tokens, named 'loss'. */
  loss: Value;
  /** Scalar number of counted (shifted, non-ignored) labels, named 'token_count'. */
  tokenCount: Value;
  /** Every graph input the caller feeds. */
  feeds: FeedSpec[];
}

// ---------------------------------------------------------------- parameters

interface Resolved {
  w: Value;
  source: ParamSource;
  io: ParamIO;
}

class Params {
  private readonly shapes: Map<string, number[]>;
  private readonly cache = new Map<string, Resolved>();
  readonly trainable = new Map<string, Value>();
  /** Inputs the sources feed without training them, by input name. */
  readonly fed = new Map<string, Value>();
  readonly bindings = new Map<string, ParamBinding>();
  private readonly source: WeightSource;

  constructor(
    readonly g: Graph,
    readonly config: ModelConfig,
    readonly dtype: ModelDType,
    weights: WeightSource | ReadonlyMap<string, Tensor>,
  ) {
    this.shapes = parameterShapes(config);
    this.source = typeof weights === 'function' ? weights : frozenWeights(weights);
  }

  has(name: string): boolean {
    return this.shapes.has(name);
  }

  /** The parameter as one tensor value (a source with a linear term is refused: only linear layers can apply it). */
  plain(name: string): Value {
    const r = this.get(name);
    if (r.source.linearTerm) {
      throw new GraphBuildError(`parameter '${name}' cannot take source '${r.source.label}': its linear term applies to linear weights only`, { name });
    }
    return r.w;
  }

  get(name: string): Resolved {
    const hit = this.cache.get(name);
    if (hit) return hit;
    const shape = this.shapes.get(name);
    if (!shape) throw new GraphBuildError(`'${name}' is not a parameter of this ${this.config.modelType} config`, { name });
    const source = this.source(name, shape);
    const binding = { source, inputs: new Map(), fed: new Map() } as Omit<ParamBinding, 'io'> as ParamBinding;
    const io = this.io(name, shape, binding);
    binding.io = io;
    this.bindings.set(name, binding);
    const w = source.build(io);
    if (!sameShape(w.shape, shape)) {
      throw new GraphBuildError(`source '${source.label}' built '${name}' with shape ${shapeToString(w.shape)}, the config needs ${shapeToString(shape)}`, { name });
    }
    const r = { w, source, io };
    this.cache.set(name, r);
    return r;
  }

  private io(name: string, shape: readonly number[], binding: ParamBinding): ParamIO {
    const g = this.g;
    return {
      graph: g,
      name,
      shape,
      dtype: this.dtype,
      constant: (init, t, as) => g.initializer(init, this.convert(name, t, shape, as ?? shape)),
      trainable: (input, s) => {
        const v = g.input(input, this.dtype, s);
        this.trainable.set(input, v);
        binding.inputs.set(input, v);
        return v;
      },
      input: (input, s, dtype) => {
        const v = g.input(input, dtype ?? this.dtype, s);
        this.fed.set(input, v);
        binding.fed.set(input, v);
        return v;
      },
    };
  }

  /** The tensor in the graph dtype (and optionally another shape of the same size). */
  private convert(name: string, t: Tensor, shape: readonly number[], as: readonly number[] = shape): Tensor {
    if (!sameShape(t.shape, shape)) {
      throw new GraphBuildError(`tensor for '${name}' has shape ${shapeToString(t.shape)}, the config needs ${shapeToString(shape)}`, { name });
    }
    if (t.dtype !== 'float32' && t.dtype !== 'float64') {
      throw new GraphBuildError(`tensor for '${name}' is ${t.dtype}; convert it to float32 first`, { name });
    }
    if (t.dtype === this.dtype) return tensor(t.dtype, as, t.data as never);
    const data = this.dtype === 'float32' ? Float32Array.from(t.data as Float64Array) : Float64Array.from(t.data as Float32Array);
    return tensor(this.dtype, as, data as never);
  }
}

// ---------------------------------------------------------------- layers

function checkConfig(c: ModelConfig): void {
  const problems: string[] = [];
  if (c.numAttentionHeads % c.numKeyValueHeads !== 0) problems.push('numAttentionHeads must be a multiple of numKeyValueHeads');
  if (c.headDim % 2 !== 0) problems.push('headDim must be even for rotary embeddings');
  if (problems.length) throw new GraphBuildError(`invalid model config: ${problems.join('; ')}`);
}

function named(g: Graph, opType: string, inputs: Value[], like: { dtype: DType; shape: readonly number[] }, name: string, attrs = {}): Value {
  return g.addNode(opType, inputs, [{ dtype: like.dtype, shape: like.shape, name }], attrs)[0]!;
}

function reshapeNamed(x: Value, shape: number[], name: string): Value {
  return named(x.graph, 'Reshape', [x, op.int64s(x.graph, shape)], { dtype: x.dtype, shape }, name);
}

/** x·Wᵀ (+ bias) with x [N, in], plus the source's linear term where it has one (LoRA's adapter). */
function linear(p: Params, x: Value, weight: string): Value {
  const biasName = weight.replace(/\.weight$/, '.bias');
  const bias = p.has(biasName) ? p.plain(biasName) : undefined;
  const r = p.get(weight);
  const y = op.gemm(x, r.w, bias, { transB: true });
  return r.source.linearTerm ? op.add(y, r.source.linearTerm(x, r.io)) : y;
}

/** HF's RMSNorm: w · x / sqrt(mean(x²) + eps), over the last axis, in the graph dtype. */
function rmsNorm(p: Params, x: Value, weight: string): Value {
  const g = x.graph;
  // Pow → ReduceMean → Add → Sqrt → Div → Mul is the pattern ONNX Runtime fuses into SimplifiedLayerNormalization.
  const ms = op.reduceMean(op.pow(x, op.scalar(g, 2, x.dtype)), [-1], true);
  const y = op.div(x, op.sqrt(op.add(ms, op.scalar(g, p.config.rmsNormEps, x.dtype))));
  return op.mul(y, p.plain(weight));
}

interface Rope {
  /** Broadcastable to [batch, seq, heads, head_dim]. */
  qCos: Value;
  qSin: Value;
  kCos: Value;
  kSin: Value;
}

/** x·cos + rotate_half(x)·sin, with rotate_half's sign folded into the sin table (rope.ts). */
function applyRope(x: Value, cos: Value, sinSigned: Value): Value {
  const half = x.shape[x.rank - 1]! / 2;
  const [x1, x2] = op.split(x, [half, half], -1) as [Value, Value];
  return op.add(op.mul(x, cos), op.mul(op.concat([x2, x1], -1), sinSigned));
}

function ropeFromTables(p: Params, positions: number, positionIds: Value | undefined, seq: number): Rope {
  const c = p.config;
  const g = p.g;
  const D = c.headDim;
  const rows = positionIds ? positions : seq;
  const q = ropeTables(c, rows, p.dtype, 1 / Math.sqrt(D));
  const k = ropeTables(c, rows, p.dtype, 1);
  const table = (name: string, t: Tensor): Value => {
    if (!positionIds) return g.initializer(name, tensor(t.dtype, [rows, 1, D], t.data as never));
    // [batch, seq] positions → [batch, seq, 1, head_dim]
    const gathered = op.gather(g.initializer(name, t), positionIds, 0);
    return op.unsqueeze(gathered, [2]);
  };
  return { qCos: table('rope.q_cos', q.cos), qSin: table('rope.q_sin', q.sinSigned), kCos: table('rope.k_cos', k.cos), kSin: table('rope.k_sin', k.sinSigned) };
}

/**
 * Turns the layer's new keys and values ([batch, seq, kv_heads, head_dim], keys rotated) into
 * the k and v [batch, kv_heads, keys, head_dim] to attend over.
 */
type KeyValues = (layer: number, k: Value, v: Value) => { k: Value; v: Value };

function decoderLayer(p: Params, layer: number, x: Value, batch: number, seq: number, rope: Rope, bias: Value, kv: KeyValues): Value {
  const c = p.config;
  const pre = `model.layers.${layer}.`;
  const H = c.numAttentionHeads;
  const KV = c.numKeyValueHeads;
  const D = c.headDim;
  const rep = H / KV;

  const h = rmsNorm(p, x, pre + 'input_layernorm.weight');
  const q = op.reshape(linear(p, h, pre + 'self_attn.q_proj.weight'), [batch, seq, H, D]);
  const k = op.reshape(linear(p, h, pre + 'self_attn.k_proj.weight'), [batch, seq, KV, D]);
  const v = op.reshape(linear(p, h, pre + 'self_attn.v_proj.weight'), [batch, seq, KV, D]);
  const qr = applyRope(q, rope.qCos, rope.qSin);
  const kr = applyRope(k, rope.kCos, rope.kSin);
  const att = kv(layer, kr, v);
  const keys = att.v.shape[2]!;

  // Query head h = j·rep + r uses kv head j: [B, H, S, D] → [B, KV, rep·S, D] is a free reshape.
  const qg = op.reshape(op.transpose(qr, [0, 2, 1, 3]), [batch, KV, rep * seq, D]);
  // A Transpose of the last two axes into MatMul: ONNX Runtime fuses the pair into FusedMatMul(transB).
  const scores = op.reshape(op.matmul(qg, op.transpose(att.k, [0, 1, 3, 2])), [batch, H, seq, keys]);
  const probs = op.reshape(op.softmax(op.add(scores, bias), -1), [batch, KV, rep * seq, keys]);
  const ctx = op.reshape(op.matmul(probs, att.v), [batch, H, seq, D]);
  const merged = op.reshape(op.transpose(ctx, [0, 2, 1, 3]), [batch * seq, H * D]);
  const x1 = op.add(x, linear(p, merged, pre + 'self_attn.o_proj.weight'));

  const h2 = rmsNorm(p, x1, pre + 'post_attention_layernorm.weight');
  const gate = linear(p, h2, pre + 'mlp.gate_proj.weight');
  const up = linear(p, h2, pre + 'mlp.up_proj.weight');
  const act = op.mul(op.mul(gate, op.sigmoid(gate)), up);
  return op.add(x1, linear(p, act, pre + 'mlp.down_proj.weight'));
}

function embed(p: Params, ids: Value): Value {
  return op.gather(p.plain('model.embed_tokens.weight'), op.reshape(ids, [numel(ids.shape)]), 0);
}

function lmHeadWeight(p: Params): Value {
  return p.plain(p.config.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
}

/** (mask − 1)·1e9 as [batch, 1, 1, keys]: 0 for real keys, −1e9 for padding. */
function paddingBias(mask: Value, dtype: ModelDType): Value {
  const g = mask.graph;
  const m = op.cast(mask, dtype);
  const b = op.mul(op.sub(m, op.scalar(g, 1, dtype)), op.scalar(g, -ATTENTION_MASK_VALUE, dtype));
  return op.reshape(b, [mask.shape[0]!, 1, 1, mask.shape[1]!]);
}

// ---------------------------------------------------------------- full-sequence forward

/**
 * Appends the decoder to `graph` with inputs input_ids int64 [batch, seq] and attention_mask
 * int64 [batch, seq] (and position_ids when asked), and returns logits with the created
 * trainable inputs.
 */
export function buildLlama(graph: Graph, config: ModelConfig, opts: LlamaBuildOptions): LlamaModel {
  checkConfig(config);
  const dtype = opts.dtype ?? 'float32';
  const { batch: B, seqLen: S } = opts;
  const p = new Params(graph, config, dtype, opts.weights);
  const inputIds = graph.input('input_ids', 'int64', [B, S]);
  const attentionMask = graph.input('attention_mask', 'int64', [B, S]);
  const positionIds = opts.positionIds ? graph.input('position_ids', 'int64', [B, S]) : undefined;

  const rope = ropeFromTables(p, opts.maxPosition ?? S, positionIds, S);
  const causal = tensor(dtype, [S, S]);
  for (let i = 0; i < S; i++) for (let j = i + 1; j < S; j++) causal.data[i * S + j] = ATTENTION_MASK_VALUE;
  const bias = op.add(graph.initializer('causal_bias', causal), paddingBias(attentionMask, dtype));
  const kv: KeyValues = (_l, k, v) => ({ k: op.transpose(k, [0, 2, 1, 3]), v: op.transpose(v, [0, 2, 1, 3]) });

  let x = embed(p, inputIds);
  const layerSegments: RecomputeSegment[] = [];
  for (let l = 0; l < config.numHiddenLayers; l++) {
    const first = graph.nodes.length;
    const input = x;
    x = decoderLayer(p, l, x, B, S, rope, bias, kv);
    layerSegments.push({ input, output: x, nodes: graph.nodes.slice(first) });
  }
  x = rmsNorm(p, x, 'model.norm.weight');
  const logits2d = op.gemm(x, lmHeadWeight(p), undefined, { transB: true });
  const logits = reshapeNamed(logits2d, [B, S, config.vocabSize], 'logits');

  return {
    graph,
    config,
    dtype,
    batch: B,
    seqLen: S,
    inputIds,
    attentionMask,
    ...(positionIds ? { positionIds } : {}),
    logits2d,
    logits,
    trainable: p.trainable,
    fed: p.fed,
    params: p.bindings,
    layerSegments,
  };
}

/**
 * Appends HF's causal-LM loss: labels int64 [batch, seq], position t predicts labels[t+1],
 * −100 ignored; loss = Σ nll / max(count, 1) over counted tokens.
 */
export function addCausalLmLoss(model: LlamaModel): { labels: Value; loss: Value; tokenCount: Value } {
  const g = model.graph;
  const { batch: B, seqLen: S, dtype } = model;
  const labels = g.input('labels', 'int64', [B, S]);
  const ignore = op.scalar(g, IGNORE_INDEX, 'int64');
  // Shift the labels, not the logits: the [N, vocab] tensor is never sliced or copied.
  const tail = op.constant(g, tensor('int64', [B, 1], new BigInt64Array(B).fill(BigInt(IGNORE_INDEX))), 'ignored_tail');
  const target = op.reshape(op.concat([op.slice(labels, [1], [S], [1]), tail], 1), [B * S, 1]);
  const ignored = op.equal(target, ignore);
  const safe = op.where(ignored, op.scalar(g, 0, 'int64'), target);
  const counted = op.where(ignored, op.scalar(g, 0, dtype), op.scalar(g, 1, dtype));

  const logp = op.logSoftmax(model.logits2d, -1);
  const picked = op.mul(op.gatherElements(logp, safe, 1), counted);
  const count = named(g, 'ReduceSum', [counted, op.int64s(g, [0, 1])], { dtype, shape: [] }, 'token_count', { keepdims: 0 });
  const one = op.scalar(g, 1, dtype);
  const denom = op.where(op.less(count, one), one, count);
  const nll = op.neg(op.reduceSum(picked, [0, 1]));
  const loss = named(g, 'Div', [nll, denom], { dtype, shape: [] }, 'loss');
  return { labels, loss, tokenCount: count };
}

/** A new graph with the decoder and its loss; append grad(graph, loss, [...trainable.values()]). */
export function buildLlamaTrainingGraph(config: ModelConfig, opts: LlamaBuildOptions & { name?: string }): LlamaTrainingGraph {
  const graph = new Graph(opts.name ?? `${config.modelType}-train`);
  const model = buildLlama(graph, config, opts);
  const { labels, loss, tokenCount } = addCausalLmLoss(model);
  const io = (v: Value, role: FeedSpec['role']): FeedSpec => ({ name: v.name, dtype: v.dtype, shape: v.shape, role });
  const feeds = [io(model.inputIds, 'input_ids'), io(model.attentionMask, 'attention_mask')];
  if (model.positionIds) feeds.push(io(model.positionIds, 'position_ids'));
  feeds.push(io(labels, 'labels'));
  for (const v of model.trainable.values()) feeds.push(io(v, 'trainable'));
  for (const v of model.fed.values()) feeds.push(io(v, 'fed'));
  return { ...model, labels, loss, tokenCount, feeds };
}

// ---------------------------------------------------------------- KV-cache step

export interface LlamaStepOptions {
  batch: number;
  /** New tokens per step: the padded prompt length for prefill, 1 for decoding. */
  newLen: number;
  /** Cache slots per sequence (static, so one session serves every step). */
  maxLen: number;
  weights: WeightSource | ReadonlyMap<string, Tensor>;
  dtype?: ModelDType;
}

export interface LlamaStepGraph {
  graph: Graph;
  config: ModelConfig;
  /** int64 [batch, newLen]. */
  inputIds: Value;
  /** int64 [batch, maxLen]: 1 for cache slots holding real tokens (and the slots written now), 0 for padding. */
  attentionMask: Value;
  /** int64 [batch, newLen]: RoPE positions of the new tokens, each below maxLen. */
  positionIds: Value;
  /** int64 [1]: the slot of the first new token; new token t goes to slot writePos + t for every row. */
  writePos: Value;
  /** int64 [batch]: which of the newLen positions each row returns logits for. */
  logitsIndex: Value;
  /** Inputs past_key_values.{l}.key / .value, [batch, kv_heads, maxLen, head_dim]. */
  past: { key: Value; value: Value }[];
  /** Outputs present.{l}.key / .value: past with the new tokens written in. */
  present: { key: Value; value: Value }[];
  /** [batch, vocab], named 'logits'. */
  logits: Value;
}

/**
 * One generation step over a static cache of maxLen slots per layer. Slots are shared across the
 * batch (padding lives in the mask), so one scalar write position serves every row; queries see
 * slots up to their own (causal on slot index) that the mask marks real. A fixed slot count
 * keeps every shape static: ONNX Runtime plans memory once and the session is reused for every
 * decoding step, instead of one session per growing length.
 */
export function buildLlamaStepGraph(config: ModelConfig, opts: LlamaStepOptions): LlamaStepGraph {
  checkConfig(config);
  const dtype = opts.dtype ?? 'float32';
  const { batch: B, newLen: T, maxLen: L } = opts;
  if (T > L) throw new GraphBuildError(`step graph: newLen ${T} exceeds maxLen ${L}`);
  const graph = new Graph(`${config.modelType}-step-${T}x${L}`);
  const p = new Params(graph, config, dtype, opts.weights);
  const KV = config.numKeyValueHeads;
  const D = config.headDim;

  const inputIds = graph.input('input_ids', 'int64', [B, T]);
  const attentionMask = graph.input('attention_mask', 'int64', [B, L]);
  const positionIds = graph.input('position_ids', 'int64', [B, T]);
  const writePos = graph.input('write_pos', 'int64', [1]);
  const logitsIndex = graph.input('logits_index', 'int64', [B]);
  const past = Array.from({ length: config.numHiddenLayers }, (_, l) => ({
    key: graph.input(`past_key_values.${l}.key`, dtype, [B, KV, L, D]),
    value: graph.input(`past_key_values.${l}.value`, dtype, [B, KV, L, D]),
  }));

  const rope = ropeFromTables(p, L, positionIds, T);
  const arangeT = op.constant(graph, tensor('int64', [T], BigInt64Array.from({ length: T }, (_, i) => BigInt(i))), 'arange_new');
  const slotOfNew = op.add(writePos, arangeT); // [T]
  const slots = op.constant(graph, tensor('int64', [L], BigInt64Array.from({ length: L }, (_, i) => BigInt(i))), 'arange_slots');
  const future = op.greater(slots, op.reshape(slotOfNew, [T, 1])); // [T, L]
  const causal = op.where(future, op.scalar(graph, ATTENTION_MASK_VALUE, dtype), op.scalar(graph, 0, dtype));
  const bias = op.add(causal, paddingBias(attentionMask, dtype)); // [B, 1, T, L]
  const writeIdx = op.expand(op.reshape(slotOfNew, [1, 1, T, 1]), [B, KV, T, D]);

  const present: { key: Value; value: Value }[] = [];
  const kv: KeyValues = (l, k, v) => {
    const write = (cache: Value, x: Value, name: string) =>
      named(graph, 'ScatterElements', [cache, writeIdx, op.transpose(x, [0, 2, 1, 3])], cache, name, { axis: 2 });
    const key = write(past[l]!.key, k, `present.${l}.key`);
    const value = write(past[l]!.value, v, `present.${l}.value`);
    present.push({ key, value });
    return { k: key, v: value };
  };

  let x = embed(p, inputIds);
  for (let l = 0; l < config.numHiddenLayers; l++) x = decoderLayer(p, l, x, B, T, rope, bias, kv);
  // Only the selected position of each row goes through the final norm and lm_head.
  const H = config.hiddenSize;
  const pick = op.expand(op.reshape(logitsIndex, [B, 1, 1]), [B, 1, H]);
  const last = op.reshape(op.gatherElements(op.reshape(x, [B, T, H]), pick, 1), [B, H]);
  const normed = rmsNorm(p, last, 'model.norm.weight');
  const logits = named(graph, 'Gemm', [normed, lmHeadWeight(p)], { dtype, shape: [B, config.vocabSize] }, 'logits', { transB: 1 });
  return { graph, config, inputIds, attentionMask, positionIds, writePos, logitsIndex, past, present, logits };
}
