/**
 * Batched greedy decoding with the KV-cache step graph (llama.ts).
 *
 * Layout: every row owns the same maxLen cache slots. The prompts are padded to a bucketed
 * length P and written at slots 0..P−1 in one prefill step (left padding: right-aligned, so every
 * row's last prompt token is at slot P−1; right padding: left-aligned, row b's last token is at
 * slot len_b−1); generated token s of every row goes to slot P+s. Padding slots are masked and
 * RoPE positions count real tokens only (HF's cumsum(attention_mask) − 1), so both sides give the
 * same tokens as unpadded generation. Two static shapes per batch — prefill [B, P] and decode
 * [B, 1], both over maxLen = bucket(P + maxNewTokens) slots — so two sessions serve every step.
 */
import type { Backend, CompileOptions, Executable } from '../contracts.js';
import { InvalidArgumentError } from '../errors.js';
import { Graph } from '../graph/graph.js';
import { type Tensor, tensor } from '../tensor.js';
import type { ModelConfig } from './config.js';
import { type ModelDType, buildLlama, buildLlamaStepGraph } from './llama.js';

export type PaddingSide = 'left' | 'right';

export interface GreedyOptions {
  maxNewTokens: number;
  /** A row stops after emitting any of these. */
  eosTokenIds: readonly number[];
  /** Fed at padding slots and for rows that already stopped. */
  padTokenId: number;
  /** Default 'left', as HF recommends for decoder-only generation. */
  paddingSide?: PaddingSide;
  /**
   * false: recompute the whole sequence at every step with the full-sequence graph instead of
   * the cache (a check of the cache, and slow). Default true.
   */
  cache?: boolean;
  /** Picks the next token from row `logits[offset .. offset + vocab)`; default argmax (greedy). Sampling plugs in here. */
  choose?: (logits: Float32Array | Float64Array, offset: number, vocab: number) => number;
  /** Called with each row's token as soon as it is chosen (streaming to a terminal). */
  onToken?: (row: number, token: number) => void;
}

export interface GeneratorOptions {
  dtype?: ModelDType;
  compileOptions?: CompileOptions;
  /** Prompt and cache lengths are rounded up to a multiple of this, bounding the number of sessions. Default 16. */
  bucket?: number;
}

export interface GenerateGreedyArgs extends GreedyOptions, GeneratorOptions {
  backend: Backend;
  config: ModelConfig;
  weights: ReadonlyMap<string, Tensor>;
  /** Token ids of each prompt, unpadded; at least one token each. */
  tokenizerIds: readonly (readonly number[])[];
}

/**
 * Greedy continuation of each prompt: the new tokens only, up to and including the first EOS,
 * at most maxNewTokens.
 */
export async function generateGreedy(args: GenerateGreedyArgs): Promise<number[][]> {
  const gen = new GreedyGenerator(args.backend, args.config, args.weights, args);
  try {
    return await gen.generate(args.tokenizerIds, args);
  } finally {
    await gen.dispose();
  }
}

/**
 * Keeps the compiled sessions of each shape across calls. Weights are read when a shape is first
 * compiled (they become session initializers): after changing weights, make a new generator.
 */
export class GreedyGenerator {
  private readonly sessions = new Map<string, Promise<{ exe: Executable; names: StepNames }>>();
  private readonly dtype: ModelDType;
  private readonly bucket: number;

  constructor(
    private readonly backend: Backend,
    private readonly config: ModelConfig,
    private readonly weights: ReadonlyMap<string, Tensor>,
    private readonly options: GeneratorOptions = {},
  ) {
    this.dtype = options.dtype ?? 'float32';
    this.bucket = options.bucket ?? 16;
  }

  async generate(prompts: readonly (readonly number[])[], opts: GreedyOptions): Promise<number[][]> {
    const B = prompts.length;
    if (B === 0) return [];
    if (!(opts.maxNewTokens >= 0 && Number.isInteger(opts.maxNewTokens))) {
      throw new InvalidArgumentError(`maxNewTokens must be a non-negative integer, got ${opts.maxNewTokens}`);
    }
    const V = this.config.vocabSize;
    prompts.forEach((p, b) => {
      if (p.length === 0) throw new InvalidArgumentError(`prompt ${b} is empty; generation needs at least one token (e.g. BOS)`);
      for (const id of p) if (!(Number.isInteger(id) && id >= 0 && id < V)) throw new InvalidArgumentError(`prompt ${b} holds token id ${id}, outside [0, ${V})`);
    });
    if (opts.maxNewTokens === 0) return prompts.map(() => []);

    const left = (opts.paddingSide ?? 'left') === 'left';
    const lens = prompts.map((p) => p.length);
    const P = roundUp(Math.max(...lens), this.bucket);
    const L = roundUp(P + opts.maxNewTokens, this.bucket);
    const offset = lens.map((n) => (left ? P - n : 0));

    // Host copies of the slot layout: tokens, mask and RoPE positions of every slot.
    const tokens = new Array<number>(B * L).fill(opts.padTokenId);
    const mask = new Array<number>(B * L).fill(1);
    const pos = new Array<number>(B * L).fill(0);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < P; t++) {
        const i = t - offset[b]!;
        const real = i >= 0 && i < lens[b]!;
        tokens[b * L + t] = real ? prompts[b]![i]! : opts.padTokenId;
        mask[b * L + t] = real ? 1 : 0;
        pos[b * L + t] = real ? i : 0;
      }
      for (let s = 0; P + s < L; s++) pos[b * L + P + s] = lens[b]! + s;
    }
    const eos = new Set(opts.eosTokenIds);
    const out: number[][] = prompts.map(() => []);
    const done = new Array<boolean>(B).fill(false);
    // The slot whose logits predict generated token s of row b.
    const sourceSlot = (b: number, s: number) => (s > 0 ? P + s - 1 : left ? P - 1 : lens[b]! - 1);

    const take = (logits: Tensor, rowOf: (b: number) => number) => {
      const data = logits.data as Float32Array | Float64Array;
      for (let b = 0; b < B; b++) {
        if (done[b]) continue;
        const row = rowOf(b) * V;
        let best = 0;
        if (opts.choose) best = opts.choose(data, row, V);
        else for (let v = 1; v < V; v++) if (data[row + v]! > data[row + best]!) best = v;
        out[b]!.push(best);
        opts.onToken?.(b, best);
        tokens[b * L + P + out[b]!.length - 1] = best;
        if (eos.has(best) || out[b]!.length >= opts.maxNewTokens) done[b] = true;
      }
    };

    if (opts.cache === false) {
      const { exe, names } = await this.session('prefill', B, L, L);
      for (let s = 0; !done.every(Boolean); s++) {
        const res = await exe.run({
          [names.inputIds]: ints([B, L], tokens),
          [names.attentionMask]: ints([B, L], mask),
          [names.positionIds]: ints([B, L], pos),
        });
        take(res[names.logits]!, (b) => b * L + sourceSlot(b, s));
      }
      return out;
    }

    const prefill = await this.session('step', B, P, L);
    const decode = await this.session('step', B, 1, L);
    const KV = this.config.numKeyValueHeads;
    const D = this.config.headDim;
    let past: Tensor[] = prefill.names.past.map(() => tensor(this.dtype, [B, KV, L, D]));
    const run = async (step: { exe: Executable; names: StepNames }, feeds: Record<string, Tensor>) => {
      const n = step.names;
      n.past.forEach((name, i) => (feeds[name] = past[i]!));
      const res = await step.exe.run(feeds);
      past = n.present.map((name) => res[name]!);
      return res[n.logits]!;
    };

    const promptIds = new Array<number>(B * P);
    const promptPos = new Array<number>(B * P);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < P; t++) {
        promptIds[b * P + t] = tokens[b * L + t]!;
        promptPos[b * P + t] = pos[b * L + t]!;
      }
    }
    let logits = await run(prefill, {
      [prefill.names.inputIds]: ints([B, P], promptIds),
      [prefill.names.attentionMask]: ints([B, L], mask),
      [prefill.names.positionIds]: ints([B, P], promptPos),
      [prefill.names.writePos]: ints([1], [0]),
      [prefill.names.logitsIndex]: ints([B], lens.map((n) => (left ? P - 1 : n - 1))),
    });
    take(logits, (b) => b);
    for (let s = 1; !done.every(Boolean); s++) {
      const slot = P + s - 1;
      logits = await run(decode, {
        [decode.names.inputIds]: ints([B, 1], Array.from({ length: B }, (_, b) => tokens[b * L + slot]!)),
        [decode.names.attentionMask]: ints([B, L], mask),
        [decode.names.positionIds]: ints([B, 1], Array.from({ length: B }, (_, b) => pos[b * L + slot]!)),
        [decode.names.writePos]: ints([1], [slot]),
        [decode.names.logitsIndex]: ints([B], new Array<number>(B).fill(0)),
      });
      take(logits, (b) => b);
    }
    return out;
  }

  /** Releases every compiled session. */
  async dispose(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s).exe.dispose();
  }

  private session(kind: 'step' | 'prefill', B: number, T: number, L: number): Promise<{ exe: Executable; names: StepNames }> {
    const key = `${kind}:${B}x${T}x${L}`;
    let hit = this.sessions.get(key);
    if (!hit) {
      hit = this.compile(kind, B, T, L);
      this.sessions.set(key, hit);
      hit.catch(() => this.sessions.delete(key));
    }
    return hit;
  }

  private async compile(kind: 'step' | 'prefill', B: number, T: number, L: number): Promise<{ exe: Executable; names: StepNames }> {
    const weights = this.weights;
    const dtype = this.dtype;
    if (kind === 'prefill') {
      const g = new Graph(`${this.config.modelType}-generate-full-${B}x${L}`);
      const m = buildLlama(g, this.config, { batch: B, seqLen: L, weights, dtype, positionIds: true, maxPosition: L });
      const exe = await this.backend.compile(g, [m.logits], this.options.compileOptions);
      const names: StepNames = {
        inputIds: m.inputIds.name,
        attentionMask: m.attentionMask.name,
        positionIds: m.positionIds!.name,
        writePos: '',
        logitsIndex: '',
        logits: m.logits.name,
        past: [],
        present: [],
      };
      return { exe, names };
    }
    const st = buildLlamaStepGraph(this.config, { batch: B, newLen: T, maxLen: L, weights, dtype });
    const outputs = [st.logits, ...st.present.flatMap((p) => [p.key, p.value])];
    const exe = await this.backend.compile(st.graph, outputs, this.options.compileOptions);
    const names: StepNames = {
      inputIds: st.inputIds.name,
      attentionMask: st.attentionMask.name,
      positionIds: st.positionIds.name,
      writePos: st.writePos.name,
      logitsIndex: st.logitsIndex.name,
      logits: st.logits.name,
      past: st.past.flatMap((p) => [p.key.name, p.value.name]),
      present: st.present.flatMap((p) => [p.key.name, p.value.name]),
    };
    return { exe, names };
  }
}

interface StepNames {
  inputIds: string;
  attentionMask: string;
  positionIds: string;
  writePos: string;
  logitsIndex: string;
  logits: string;
  past: string[];
  present: string[];
}

function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}

function ints(shape: number[], xs: readonly number[]): Tensor<'int64'> {
  return tensor('int64', shape, BigInt64Array.from(xs, (x) => BigInt(x)));
}
