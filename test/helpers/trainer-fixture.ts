/**
 * Shared pieces of the trainer tests: the fixture target task tokenized once, a tiny random
 * model, run configs that keep every run small, a tensor store in memory that keeps a copy of
 * everything saved (so a test can look at every checkpoint a run wrote), and bitwise comparison.
 */
import { loadTokenizer } from '../../src/adapters/huggingface/tokenizer.js';
import { loadSftRecords, tokenizeDataset, type TokenizedExample } from '../../src/core/data/index.js';
import type { TensorStore } from '../../src/core/contracts.js';
import { validateRunConfig } from '../../src/core/config/validate.js';
import type { RunConfig } from '../../src/core/config/schema.js';
import { TARGET_MODULES, linearShape, linearWeightName } from '../../src/core/model/config.js';
import { initWeights } from '../../src/core/model/init.js';
import { Rng } from '../../src/core/rng.js';
import type { Tensor } from '../../src/core/tensor.js';
import { TINY_CONFIG } from './tiny-model.js';

/**
 * 32 records of the target task, truncated to 80 tokens: every record of this slice is 74..121
 * tokens long, so every batch pads to the same 80-token bucket and a run compiles one session.
 */
export const FIXTURE_RECORDS = 32;
export const FIXTURE_MAX_LENGTH = 80;

export interface FixtureData {
  examples: TokenizedExample[];
  padTokenId: number;
}

let cached: Promise<FixtureData> | undefined;

export function fixtureData(): Promise<FixtureData> {
  cached ??= (async () => {
    const tokenizer = await loadTokenizer('fixtures/tokenizer');
    const records = loadSftRecords('fixtures/data/target_train.jsonl').records.slice(0, FIXTURE_RECORDS);
    const { examples } = tokenizeDataset(records, tokenizer, { maxLength: FIXTURE_MAX_LENGTH });
    return { examples, padTokenId: tokenizer.padTokenId };
  })();
  return cached;
}

/** The tiny model with random init (a fresh copy each call: initWeights is seeded). */
export function tinyWeights(): Map<string, Tensor<'float32'>> {
  return initWeights(TINY_CONFIG, new Rng(7));
}

/** Every target weight of the tiny model with its shape [m, n] = [out, in]. */
export function tinyTargets(): { name: string; rows: number; cols: number }[] {
  const out: { name: string; rows: number; cols: number }[] = [];
  for (let layer = 0; layer < TINY_CONFIG.numHiddenLayers; layer++) {
    for (const m of TARGET_MODULES) {
      const [rows, cols] = linearShape(TINY_CONFIG, m);
      out.push({ name: linearWeightName(layer, m), rows, cols });
    }
  }
  return out;
}

export interface SmallRun {
  method: string;
  options?: Record<string, unknown>;
  lr: number;
  steps: number;
  dir: string;
  batchSize?: number;
  checkpointEvery?: number;
  seed?: number;
}

/** A validated run: constant lr, one intra-op thread (bit-reproducible), no generation. */
export function smallRun(r: SmallRun): RunConfig {
  return validateRunConfig({
    model: 'tiny-random',
    data: { train: 'fixtures/data/target_train.jsonl', maxLength: FIXTURE_MAX_LENGTH },
    method: { name: r.method, options: r.options ?? {} },
    optimizer: { lr: r.lr },
    schedule: { type: 'constant', warmupRatio: 0 },
    batchSize: r.batchSize ?? 4,
    steps: r.steps,
    seed: r.seed ?? 11,
    backend: { threads: 1 },
    evaluation: { generate: false },
    output: { dir: r.dir, checkpointEvery: r.checkpointEvery ?? 0 },
  });
}

/** A TensorStore in memory that keeps a deep copy of every save, in order. */
export class RecordingStore implements TensorStore {
  readonly saves: { path: string; tensors: Map<string, Tensor> }[] = [];
  private readonly files = new Map<string, Map<string, Tensor>>();

  save(path: string, tensors: ReadonlyMap<string, Tensor>): void {
    const copy = new Map<string, Tensor>();
    for (const [k, t] of tensors) copy.set(k, { dtype: t.dtype, shape: [...t.shape], data: t.data.slice() } as Tensor);
    this.files.set(path, copy);
    this.saves.push({ path, tensors: copy });
  }

  load(path: string): Map<string, Tensor> {
    const f = this.files.get(path);
    if (!f) throw new Error(`RecordingStore: nothing saved at ${path}`);
    return new Map(f);
  }

  /** The tensors of every targets.safetensors saved, in order (one per checkpoint). */
  targetSaves(): Map<string, Tensor>[] {
    return this.saves.filter((s) => s.path.endsWith('targets.safetensors')).map((s) => s.tensors);
  }
}

/** Index of the first entry whose bits differ, or -1 when the arrays are bitwise equal. */
export function firstBitDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/** Flat indices whose bits differ between a and b. */
export function changedEntries(a: Float32Array, b: Float32Array): number[] {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  const out: number[] = [];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) out.push(i);
  return out;
}

/** Mean of the per-step losses of steps from..to (1-based, inclusive). */
export function meanLoss(losses: readonly { step: number; loss: number }[], from: number, to: number): number {
  const sel = losses.filter((l) => l.step >= from && l.step <= to);
  if (sel.length !== to - from + 1) throw new Error(`losses of steps ${from}..${to} are incomplete`);
  return sel.reduce((s, l) => s + l.loss, 0) / sel.length;
}
