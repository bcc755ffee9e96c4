/**
 * The data `lift compare` records: what report.json holds, and what report.md and report.html
 * are rendered from. docs/report-schema.md documents every field; schema.ts enforces it.
 *
 * Numbers are plain `number` here, but a value that is not finite (a retention whose
 * before-accuracy is 0, a diverged loss) cannot be written to JSON: it is stored as `null`,
 * and every renderer treats null and non-finite alike, as "not available".
 */

export interface Metrics {
  /** Exact-match accuracy on the held-out target test set, 0..1. */
  targetAccuracy: number;
  /** Fact-recall accuracy on the source set before fine-tuning, 0..1. */
  sourceAccuracyBefore: number;
  sourceAccuracyAfter: number;
  /** sourceAccuracyAfter / sourceAccuracyBefore. */
  sourceRetention: number;
  /** Mean token loss on the source set. */
  sourceLossBefore: number;
  sourceLossAfter: number;
  finalTrainLoss: number;
  trainableParams: number;
  optimizerStateBytes: number;
  peakRssBytes: number;
  wallSeconds: number;
  tokensPerSecond: number;
}

export interface LossPoint {
  step: number;
  loss: number;
}

export interface SeedRun extends Metrics {
  seed: number;
  lossCurve: LossPoint[];
}

export type MethodStatus = 'done' | 'failed' | 'pending';

export interface MethodReport {
  /** Registered name: lift, full, lora, magnitude, random, or a user's. */
  method: string;
  /**
   * What tables and charts call this row; defaults to `method`. Lets a compare run the same
   * method twice with different options (lift r=32 and lift r=128) and tell the rows apart.
   */
  label?: string;
  /** lr, rank, filterRank, interval, alpha, ... */
  options: Record<string, unknown>;
  status: MethodStatus;
  error?: string;
  /** One per seed. */
  runs: SeedRun[];
  /** Over runs; present when status is done. */
  mean?: Metrics;
  /** Sample standard deviation over runs (0 with one seed). */
  std?: Metrics;
}

export interface CompareReport {
  schemaVersion: 1;
  /** ISO time. */
  createdAt: string;
  command: string[];
  model: { dir: string; modelType: string; parameters: number };
  data: { train: string; test: string; source: string; testRecords: number; sourceRecords: number };
  settings: {
    steps: number;
    seeds: number[];
    batchSize: number;
    maxLength: number;
    backend: string;
    executionProvider: string;
  };
  machine: { cpus: number; node: string; platform: string };
  /**
   * The base model before any fine-tuning, scored as the methods are: where they start from.
   * Absent in reports written before it was measured.
   */
  base?: BaseScores;
  methods: MethodReport[];
}

export interface BaseScores {
  /** On the test set, before fine-tuning. */
  targetAccuracy: number | null;
  /** On the source set (every run's sourceAccuracyBefore). */
  sourceAccuracy: number | null;
  sourceLoss: number | null;
}

/** Every Metrics key, in the order the docs and the schema list them. */
export const METRIC_KEYS = [
  'targetAccuracy',
  'sourceAccuracyBefore',
  'sourceAccuracyAfter',
  'sourceRetention',
  'sourceLossBefore',
  'sourceLossAfter',
  'finalTrainLoss',
  'trainableParams',
  'optimizerStateBytes',
  'peakRssBytes',
  'wallSeconds',
  'tokensPerSecond',
] as const satisfies readonly (keyof Metrics)[];

// Fails to compile when Metrics gains a key that METRIC_KEYS (and so the schema) lacks.
type MissingKeys = Exclude<keyof Metrics, (typeof METRIC_KEYS)[number]>;
const _allKeysListed: [MissingKeys] extends [never] ? true : MissingKeys = true;
void _allKeysListed;
