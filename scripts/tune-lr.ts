/**
 * Learning-rate selection for `lift compare`'s defaults, on the validation split (never the test
 * set): each method at each learning rate of a grid, scored by target accuracy on the validation
 * split (final training loss breaks ties). Every method gets the same budget: six learning rates,
 * ×0.5, ×1, ×2, ×4, ×8 and ×16 its recipe learning rate × lrScale (the plugin's default lr × 10:
 * 1e-3 … 3.2e-2 for LIFT, LoRA, magnitude and random, 2.5e-4 … 8e-3 for full FT), each trained
 * for compare's default steps with compare's default seed.
 *
 *   npx tsx scripts/tune-lr.ts [--methods lift,full] [--steps 150] [--grid 1e-3,2e-3,4e-3]
 *                              [--val fixtures/data/recall_val.jsonl] [--threads 2] [--rank 6]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compareCommand } from '../src/cli/commands/compare.js';
import { compareOptions, methodOptions } from '../src/index.js';
import { compareDefaults } from '../src/api/compare-options.js';
import { writeFileAtomic } from '../src/core/atomic-write.js';
import { defaultRegistry } from '../src/index.js';

const { values } = parseArgs({
  options: {
    methods: { type: 'string' },
    steps: { type: 'string' },
    grid: { type: 'string' },
    out: { type: 'string' },
    val: { type: 'string' },
    threads: { type: 'string' },
    rank: { type: 'string' },
  },
});
const defaults = compareDefaults();
const registry = defaultRegistry();
const methods = values.methods?.split(',') ?? defaults.methods;
const steps = Number(values.steps ?? defaults.steps);
const out = values.out ?? join('runs', `tune-lr-${Date.now()}`);
const val = values.val ?? 'fixtures/data/recall_val.jsonl';
/** The recipe's learning rate × lrScale (an explicit empty `lr` map leaves out any tuned default). */
const recipeLr = (method: string) => methodOptions(method, compareOptions({ methods: [method], lr: {} }), registry).lr as number;
const grids: Record<string, number[]> = Object.fromEntries(
  methods.map((m) => [m, values.grid ? values.grid.split(',').map(Number) : [0.5, 1, 2, 4, 8, 16].map((f) => f * recipeLr(m))]),
);

const results: { method: string; lr: number; valAccuracy: number; finalLoss: number }[] = [];
for (const method of methods) {
  for (const lr of grids[method]!) {
    const report = await compareCommand(compareOptions({
      methods: [method],
      steps,
      lr: { [method]: lr },
      test: val,
      testLimit: 100000,
      sourceLimit: 20,
      threads: Number(values.threads ?? defaults.threads),
      rank: Number(values.rank ?? defaults.rank),
      out: join(out, `${method}-${lr}`),
      quiet: true,
    }));
    const run = report.methods[0]!.runs[0]!;
    results.push({ method, lr, valAccuracy: run.targetAccuracy, finalLoss: run.finalTrainLoss });
  }
}
const best = methods.map((m) => {
  const rows = results.filter((r) => r.method === m).sort((a, b) => b.valAccuracy - a.valAccuracy || a.finalLoss - b.finalLoss);
  return rows[0];
});
writeFileAtomic(join(out, 'tune-lr.json'), JSON.stringify({ steps, val, results, best }, null, 2) + '\n');
console.log('\nmethod      lr        val acc   final loss');
for (const r of results) console.log(`${r.method.padEnd(10)}  ${r.lr.toExponential(1).padEnd(8)}  ${(r.valAccuracy * 100).toFixed(1).padStart(6)}%  ${r.finalLoss.toFixed(4)}`);
console.log('\nbest:', best.map((b) => `${b!.method}=${b!.lr}`).join(','));
