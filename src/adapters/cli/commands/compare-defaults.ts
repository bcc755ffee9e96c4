/**
 * Defaults of `lift compare`, scaled from the authors' recipes (DESIGN.md) to the bundled
 * fixture model (hidden 192, 4 layers): see docs/compare.md for the reasoning.
 *
 * - Budget rank r = 6: the recipes' r = 128 on 4096-wide matrices trains ~6% of each matrix;
 *   r = 6 trains 5.2% of the fixture's 192-wide target weights (k = (m+n)·r). LoRA gets the
 *   same r, so every sparse method and LoRA train the same number of parameters per matrix.
 * - Filter rank 8 (recipes: 32–128 of 4096, i.e. a small fraction of the width).
 * - Refresh interval 50 steps (recipes: 10–400).
 * - LoRA alpha = 2·r, as the recipes' r 128 / α 256.
 * - Learning rates keep the recipes' ratios (full FT 4× lower than LIFT and LoRA), scaled up for
 *   a tiny model trained for few steps; chosen on target_val.jsonl, never on the test set.
 */
export const COMPARE_DEFAULTS = {
  model: 'fixtures/model',
  train: 'fixtures/data/target_train.jsonl',
  test: 'fixtures/data/target_test.jsonl',
  source: 'fixtures/data/source_eval.jsonl',
  methods: ['lift', 'full', 'lora', 'magnitude', 'random'],
  steps: 150,
  seeds: 1,
  seed: 42,
  batchSize: 16,
  maxLength: 160,
  rank: 6,
  filterRank: 8,
  interval: 50,
  loraAlpha: 12,
  lr: { lift: 2e-3, magnitude: 2e-3, random: 2e-3, lora: 2e-3, full: 5e-4 } as Record<string, number>,
  /** For methods registered by host apps that have no entry above. */
  fallbackLr: 1e-3,
  testLimit: 300,
  sourceLimit: 200,
  maxNewTokens: 96,
  evalBatchSize: 50,
  warmupRatio: 0.03,
};
