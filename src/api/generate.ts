/**
 * A quick look at a model: continue a prompt with lift-sft's own KV-cache generator, greedy or
 * sampled, streaming text as tokens come. The model may carry an adapter or a delta
 * (variants.ts).
 */
import { InvalidArgumentError } from '../core/errors.js';
import { GreedyGenerator } from '../core/model/generate.js';
import { Rng } from '../core/rng.js';
import { formatPrompt } from '../core/data/template.js';
import type { Registry } from '../core/registry.js';
import { defaultRegistry } from '../container.js';
import { loadModelWith } from './variants.js';

export interface GenerateTextOptions {
  /** Model directory (Hugging Face layout). */
  model: string;
  adapter?: string;
  delta?: string;
  prompt: string;
  /** Wrap the prompt in the Alpaca instruction template lift-sft trains with. */
  instruction?: boolean;
  maxNewTokens?: number;
  /** 0 (default): greedy. Above 0: sample from softmax(logits / temperature). */
  temperature?: number;
  /** Sample among the k most likely tokens only (0: all). */
  topK?: number;
  seed?: number;
  /** Receives the text as it grows, one piece per token. */
  onText?: (piece: string) => void;
  registry?: Registry;
}

export interface GeneratedText {
  promptIds: number[];
  ids: number[];
  text: string;
}

export async function generateText(o: GenerateTextOptions): Promise<GeneratedText> {
  const maxNewTokens = o.maxNewTokens ?? 64;
  const temperature = o.temperature ?? 0;
  if (!(Number.isInteger(maxNewTokens) && maxNewTokens > 0)) throw new InvalidArgumentError(`--max-new-tokens must be a positive integer, got ${o.maxNewTokens}`);
  if (!(temperature >= 0 && Number.isFinite(temperature))) throw new InvalidArgumentError(`--temperature must be 0 or more, got ${o.temperature}`);
  const registry = o.registry ?? defaultRegistry();
  const model = await loadModelWith(o.model, { ...(o.adapter ? { adapter: o.adapter } : {}), ...(o.delta ? { delta: o.delta } : {}), registry });
  const tok = model.tokenizer;
  const text = o.instruction ? formatPrompt({ instruction: o.prompt, output: '' }) : o.prompt;
  const promptIds = [...(tok.bosTokenId === null ? [] : [tok.bosTokenId]), ...tok.encode(text)];
  if (promptIds.length === 0) throw new InvalidArgumentError('the prompt is empty');
  const { backend } = await registry.resolveBackend(['onnxruntime-cpu']);
  const gen = new GreedyGenerator(backend, model.config, model.weights);
  const eos = model.config.eosTokenId.length ? model.config.eosTokenId : [tok.eosTokenId];
  const ids: number[] = [];
  let shown = '';
  try {
    await gen.generate([promptIds], {
      maxNewTokens,
      eosTokenIds: eos,
      padTokenId: tok.padTokenId,
      ...(temperature > 0 ? { choose: sampler(temperature, o.topK ?? 0, new Rng(o.seed ?? 0)) } : {}),
      onToken: (_row, token) => {
        ids.push(token);
        // Decode the whole continuation each time: a token may complete a character another began.
        const now = tok.decode(ids);
        if (now.startsWith(shown) && now.length > shown.length) o.onText?.(now.slice(shown.length));
        shown = now;
      },
    });
  } finally {
    await gen.dispose();
  }
  return { promptIds, ids, text: tok.decode(ids) };
}

/** Draws from softmax(logits / temperature) over the top k (all when k is 0), with the seeded RNG. */
export function sampler(temperature: number, topK: number, rng: Rng): (logits: Float32Array | Float64Array, offset: number, vocab: number) => number {
  return (logits, offset, vocab) => {
    let order = Array.from({ length: vocab }, (_, i) => i);
    if (topK > 0 && topK < vocab) order = order.sort((a, b) => logits[offset + b]! - logits[offset + a]! || a - b).slice(0, topK);
    let max = -Infinity;
    for (const i of order) max = Math.max(max, logits[offset + i]!);
    const weights = order.map((i) => Math.exp((logits[offset + i]! - max) / temperature));
    const total = weights.reduce((s, w) => s + w, 0);
    let u = rng.next() * total;
    for (let j = 0; j < order.length; j++) {
      u -= weights[j]!;
      if (u <= 0) return order[j]!;
    }
    return order[order.length - 1]!;
  };
}
