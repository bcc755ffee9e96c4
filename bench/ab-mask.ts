/**
 * Before/after of LIFT mask selection in one process: LiftStrategy.select of this tree and of
 * another checkout (e.g. `git worktree add /tmp/before <commit>`), alternated matrix by matrix on
 * the same 135M-shaped weights, so both see the same machine load. The first pass warms up
 * (compiles the product sessions) and is not counted.
 * Usage: tsx bench/ab-mask.ts <other checkout> [layers, default 1]
 */
import { resolve } from 'node:path';
import { OnnxRuntimeBackend } from '../src/adapters/backends/onnxruntime/backend.js';
import { BackendDenseOps } from '../src/core/linalg/backend-ops.js';
import { maskBudget } from '../src/core/linalg/budget.js';
import { TARGET_MODULES, linearShape, linearWeightName } from '../src/core/model/config.js';
import { Rng } from '../src/core/rng.js';
import { tensor } from '../src/core/tensor.js';
import { LiftStrategy } from '../src/plugins/lift/strategy.js';
import { SMOL_135M, fastInitTargets } from './models.js';

const other = resolve(process.argv[2] ?? '/tmp/before');
const layers = Number(process.argv[3] ?? 1);
const load = (p: string) => import(`${other}/src/${p}`);
const { LiftStrategy: OtherLift } = await load('plugins/lift/strategy.ts');
const { BackendDenseOps: OtherOps } = await load('core/linalg/backend-ops.ts');
const { OnnxRuntimeBackend: OtherBackend } = await load('adapters/backends/onnxruntime/backend.ts');

const c = SMOL_135M.config;
const weights = fastInitTargets(c, 1, layers);
const impl = {
  this: { strategy: new LiftStrategy({ filterRank: 128 }), ops: new BackendDenseOps(new OnnxRuntimeBackend({})) },
  other: { strategy: new OtherLift({ filterRank: 128 }), ops: new OtherOps(new OtherBackend({})) },
};
const ms: Record<string, number> = { this: 0, other: 0 };
for (let pass = 0; pass < 2; pass++) {
  for (let l = 0; l < layers; l++) {
    for (const m of TARGET_MODULES) {
      const name = linearWeightName(l, m);
      const [r, k] = linearShape(c, m);
      const w = tensor('float32', [r, k], weights.get(name)!);
      for (const which of (pass + l) % 2 ? (['this', 'other'] as const) : (['other', 'this'] as const)) {
        const t0 = performance.now();
        await impl[which].strategy.select(w, maskBudget(r, k, { rank: 16 }), { name, rng: new Rng(1), step: 0, ops: impl[which].ops });
        if (pass > 0) ms[which]! += performance.now() - t0;
      }
    }
  }
}
const n = layers * TARGET_MODULES.length;
console.log(`mean per matrix over ${n} matrices: ${other} ${(ms.other! / n).toFixed(0)} ms, this tree ${(ms.this! / n).toFixed(0)} ms (${(ms.other! / ms.this!).toFixed(1)}x)`);
