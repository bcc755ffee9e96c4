/** Hand-made compare reports for the report tests: small, deterministic, with known best cells. */
import { summarize } from '../../../src/api/summarize.js';
import type { CompareReport, MethodReport, Metrics, SeedRun } from '../../../src/api/compare-report.js';

export function run(seed: number, m: Partial<Metrics>, steps = 20, startLoss = 3): SeedRun {
  const base: Metrics = {
    targetAccuracy: 0.5,
    sourceAccuracyBefore: 0.8,
    sourceAccuracyAfter: 0.6,
    sourceRetention: 0.75,
    sourceLossBefore: 1.1,
    sourceLossAfter: 1.4,
    finalTrainLoss: 0.9,
    trainableParams: 1_234_567,
    optimizerStateBytes: 2 * 1024 * 1024,
    peakRssBytes: 512 * 1024 * 1024,
    wallSeconds: 42,
    tokensPerSecond: 1500,
    ...m,
  };
  const lossCurve = Array.from({ length: steps }, (_, i) => ({
    step: (i + 1) * 10,
    loss: startLoss * Math.exp(-i / 8) + base.finalTrainLoss * (1 - Math.exp(-i / 8)) + 0.01 * seed,
  }));
  return { seed, ...base, lossCurve };
}

export function done(method: string, runs: SeedRun[], options: Record<string, unknown> = {}): MethodReport {
  return { method, options, status: 'done', runs, ...summarize(runs) };
}

export function report(methods: MethodReport[]): CompareReport {
  return {
    schemaVersion: 1,
    createdAt: '2025-01-02T03:04:05.000Z',
    command: ['lift', 'compare', '--steps', '200'],
    model: { dir: 'fixtures/tiny-llama', modelType: 'llama', parameters: 4_200_000 },
    data: { train: 'fixtures/target/train.jsonl', test: 'fixtures/target/test.jsonl', source: 'fixtures/source.jsonl', testRecords: 200, sourceRecords: 300 },
    settings: { steps: 200, seeds: [1, 2], batchSize: 8, maxLength: 256, backend: 'onnxruntime', executionProvider: 'cpu' },
    machine: { cpus: 2, node: 'v20.20.2', platform: 'linux' },
    methods,
  };
}

/**
 * Two methods × two seeds. lift: higher target accuracy (0.61/0.63), retention and tokens/s,
 * fewer params and less state; full: lower final loss, RSS and wall time.
 */
export function twoByTwo(): CompareReport {
  return report([
    done(
      'lift',
      [
        run(1, { targetAccuracy: 0.61, sourceRetention: 0.9, sourceAccuracyAfter: 0.72, finalTrainLoss: 0.8, tokensPerSecond: 2000, peakRssBytes: 600 * 1024 ** 2, wallSeconds: 50 }),
        run(2, { targetAccuracy: 0.63, sourceRetention: 0.92, sourceAccuracyAfter: 0.74, finalTrainLoss: 0.82, tokensPerSecond: 2100, peakRssBytes: 600 * 1024 ** 2, wallSeconds: 52 }),
      ],
      { lr: 2e-4, rank: 128, filterRank: 128, interval: 200 },
    ),
    done(
      'full',
      [
        run(1, { targetAccuracy: 0.55, sourceRetention: 0.7, sourceAccuracyAfter: 0.56, finalTrainLoss: 0.5, trainableParams: 4_000_000, optimizerStateBytes: 32 * 1024 ** 2, tokensPerSecond: 1000, peakRssBytes: 500 * 1024 ** 2, wallSeconds: 40 }, 20, 3.2),
        run(2, { targetAccuracy: 0.57, sourceRetention: 0.72, sourceAccuracyAfter: 0.58, finalTrainLoss: 0.52, trainableParams: 4_000_000, optimizerStateBytes: 32 * 1024 ** 2, tokensPerSecond: 1100, peakRssBytes: 500 * 1024 ** 2, wallSeconds: 41 }, 20, 3.2),
      ],
      { lr: 5e-5 },
    ),
  ]);
}
