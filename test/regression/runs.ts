/**
 * The regression runs: a short `lift train` of each built-in method on the bundled fixtures
 * (LIFT with a mask refresh, LoRA with dropout) and a short `lift compare`. What they produce is
 * hashed, so a refactor that changes any result fails test/regression/regression.test.ts.
 * `npx tsx test/regression/runs.ts --write` records the expected values.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareCommand } from '../../src/cli/commands/compare.js';
import { compareOptions } from '../../src/index.js';
import { trainCommand } from '../../src/cli/commands/train.js';

export const EXPECTED_FILE = join(import.meta.dirname, 'expected.json');

/** Method options of each train run: budget rank 6 (5% of the fixture's matrices), refresh every 3 steps. */
export const TRAIN_RUNS: Record<string, Record<string, unknown>> = {
  lift: { rank: 6, filterRank: 8, interval: 3 },
  magnitude: { rank: 6, interval: 3 },
  random: { rank: 6, interval: 3 },
  lora: { rank: 6, alpha: 12, dropout: 0.1 },
  full: {},
};

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** sha256 of model/model.safetensors after a 7-step run of `method` (refreshes after steps 3 and 6). */
export async function trainHash(method: string, root: string): Promise<string> {
  const dir = join(root, `train-${method}`);
  const config = join(root, `${method}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      model: 'fixtures/model',
      data: { train: 'fixtures/data/target_train.jsonl', maxLength: 96 },
      method: { name: method, options: TRAIN_RUNS[method] },
      optimizer: { lr: method === 'full' ? 5e-4 : 2e-3 },
      batchSize: 4,
      steps: 7,
      seed: 5,
      evaluation: { every: 0, generate: false },
      output: { dir, checkpointEvery: 3 },
    }),
  );
  await trainCommand({ config, quiet: true });
  return sha256(readFileSync(join(dir, 'model', 'model.safetensors')));
}

/** The numeric fields of a short compare's report.json that do not depend on time or memory, and their sha256. */
export async function compareFigures(root: string): Promise<{ figures: unknown; sha256: string }> {
  const out = join(root, 'compare');
  const report = await compareCommand(compareOptions({ steps: 4, testLimit: 6, sourceLimit: 6, maxNewTokens: 24, out, quiet: true, batchSize: 8 }));
  const figures = report.methods.map((m) => ({
    method: m.method,
    status: m.status,
    runs: m.runs.map((r) => ({
      targetAccuracy: r.targetAccuracy,
      sourceAccuracyBefore: r.sourceAccuracyBefore,
      sourceAccuracyAfter: r.sourceAccuracyAfter,
      sourceLossBefore: r.sourceLossBefore,
      sourceLossAfter: r.sourceLossAfter,
      finalTrainLoss: r.finalTrainLoss,
      trainableParams: r.trainableParams,
      optimizerStateBytes: r.optimizerStateBytes,
      lossCurve: r.lossCurve,
    })),
  }));
  return { figures, sha256: sha256(JSON.stringify(figures)) };
}

export async function allHashes(): Promise<{ train: Record<string, string>; compare: string }> {
  const root = mkdtempSync(join(tmpdir(), 'lift-regression-'));
  try {
    const train: Record<string, string> = {};
    for (const method of Object.keys(TRAIN_RUNS)) train[method] = await trainHash(method, root);
    const { sha256: compare } = await compareFigures(root);
    return { train, compare };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv.includes('--write')) {
  const hashes = await allHashes();
  writeFileSync(EXPECTED_FILE, JSON.stringify(hashes, null, 2) + '\n');
  console.log(hashes);
}
