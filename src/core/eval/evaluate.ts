/**
 * Evaluation of a model at given weights, outside training: mean token loss on a held-out set
 * (a frozen forward+loss graph per shape bucket) and accuracy by greedy generation.
 */
import type { Backend, CompileOptions, Executable } from '../contracts.js';
import { collate } from '../data/batch.js';
import { formatPrompt, type PromptTemplate } from '../data/template.js';
import type { SftRecord } from '../data/record.js';
import type { TokenizedExample } from '../data/tokenize.js';
import type { Tokenizer } from '../data/tokenizer.js';
import type { ModelConfig } from '../model/config.js';
import { GreedyGenerator } from '../model/generate.js';
import { buildLlamaTrainingGraph } from '../model/llama.js';
import { type Tensor, tensor } from '../tensor.js';

export interface LossResult {
  /** Σ nll / Σ counted tokens over the whole set. */
  loss: number;
  /** exp(loss). */
  perplexity: number;
  tokens: number;
}

/** Mean token loss (the training loss: response tokens only) of `examples` at `weights`. */
export async function evaluateLoss(
  backend: Backend,
  config: ModelConfig,
  weights: ReadonlyMap<string, Tensor>,
  examples: readonly TokenizedExample[],
  options: { batchSize: number; padTokenId: number; compile?: CompileOptions },
): Promise<LossResult> {
  const sessions = new Map<string, Promise<{ exe: Executable; loss: string; count: string }>>();
  let nll = 0;
  let count = 0;
  try {
    for (let i = 0; i < examples.length; i += options.batchSize) {
      const batch = collate(examples.slice(i, i + options.batchSize), options.padTokenId);
      const [B, S] = batch.inputIds.shape as [number, number];
      const key = `${B}x${S}`;
      let s = sessions.get(key);
      if (!s) {
        const g = buildLlamaTrainingGraph(config, { batch: B, seqLen: S, weights, name: `eval-${key}` });
        s = backend.compile(g.graph, [g.loss, g.tokenCount], options.compile).then((exe) => ({ exe, loss: g.loss.name, count: g.tokenCount.name }));
        sessions.set(key, s);
      }
      const { exe, loss, count: countName } = await s;
      const out = await exe.run({
        input_ids: tensor('int64', [B, S], BigInt64Array.from(batch.inputIds.data, BigInt)),
        attention_mask: tensor('int64', [B, S], BigInt64Array.from(batch.attentionMask.data, BigInt)),
        labels: tensor('int64', [B, S], BigInt64Array.from(batch.labels.data, BigInt)),
      });
      const c = (out[countName]!.data as Float32Array)[0]!;
      nll += (out[loss]!.data as Float32Array)[0]! * c;
      count += c;
    }
  } finally {
    for (const s of sessions.values()) await (await s).exe.dispose();
  }
  const loss = count > 0 ? nll / count : NaN;
  return { loss, perplexity: Math.exp(loss), tokens: count };
}

export interface GenerationScore {
  accuracy: number;
  correct: number;
  total: number;
  /** Each record's generated response (decoded), in order. */
  generations: string[];
}

/**
 * Greedy generation from each record's prompt (the training template, bos first when the
 * tokenizer has one) and the share of generations `isCorrect` accepts.
 */
export async function evaluateGeneration(
  backend: Backend,
  config: ModelConfig,
  weights: ReadonlyMap<string, Tensor>,
  records: readonly SftRecord[],
  tokenizer: Tokenizer,
  options: {
    isCorrect: (generation: string, record: SftRecord) => boolean;
    maxNewTokens: number;
    batchSize: number;
    template?: PromptTemplate;
    compile?: CompileOptions;
  },
): Promise<GenerationScore> {
  const gen = new GreedyGenerator(backend, config, weights, { compileOptions: options.compile });
  const generations: string[] = [];
  let correct = 0;
  try {
    for (let i = 0; i < records.length; i += options.batchSize) {
      const chunk = records.slice(i, i + options.batchSize);
      const prompts = chunk.map((r) => {
        const ids = tokenizer.encode(formatPrompt(r, options.template));
        return tokenizer.bosTokenId === null ? ids : [tokenizer.bosTokenId, ...ids];
      });
      const outs = await gen.generate(prompts, {
        maxNewTokens: options.maxNewTokens,
        eosTokenIds: [tokenizer.eosTokenId, ...config.eosTokenId],
        padTokenId: tokenizer.padTokenId,
      });
      outs.forEach((ids, j) => {
        const text = tokenizer.decode(ids);
        generations.push(text);
        if (options.isCorrect(text, chunk[j]!)) correct++;
      });
    }
  } finally {
    await gen.dispose();
  }
  return { accuracy: records.length ? correct / records.length : NaN, correct, total: records.length, generations };
}
