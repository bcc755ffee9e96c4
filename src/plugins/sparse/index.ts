/**
 * The sparse parametrization, shared by LIFT, magnitude, random and any registered mask
 * strategy: per target weight, a budget of k entries chosen by the method's strategy trains;
 * everything else stays frozen.
 */
import type { MethodOptions, OptionsFragment, Parametrization } from '../../core/contracts.js';
import { DEFAULT_BUDGET_RANK, maskBudget } from '../../core/linalg/index.js';
import type { Registry } from '../../core/registry.js';
import { selectMask } from '../../core/training/masks.js';
import { SparseTarget } from './target.js';

export { SparseTarget, sparseSource, sparseValuesName, sparseIndicesName, sparseMaskName } from './target.js';

export interface SparseOptions {
  rank: number;
  density?: number;
}

export const SPARSE_OPTIONS: OptionsFragment = Object.freeze({
  rank: {
    type: 'integer',
    minimum: 1,
    default: DEFAULT_BUDGET_RANK,
    description: 'Budget per matrix k = min((m+n)·rank, m·n): as many entries as a LoRA adapter of this rank has parameters.',
  },
  density: {
    type: 'number',
    exclusiveMinimum: 0,
    maximum: 1,
    description: 'Fraction of each matrix that trains, k = round(density·m·n); overrides rank when set.',
  },
});

export const sparseParametrization: Parametrization = {
  name: 'sparse',
  options: SPARSE_OPTIONS,
  needsStrategy: true,
  caveats(targets, options: MethodOptions) {
    const o = options as unknown as SparseOptions;
    // a mask that holds every entry trains the whole matrix: full fine-tuning with a sparse optimizer's bookkeeping
    const whole = targets.filter((t) => maskBudget(t.rows, t.cols, { rank: o.rank, ...(o.density !== undefined ? { density: o.density } : {}) }) >= t.rows * t.cols);
    if (!whole.length) return [];
    const budget = o.density !== undefined ? `density ${o.density}` : `rank ${o.rank} (k = (m+n)·rank)`;
    const shapes = [...new Set(whole.map((t) => `${t.rows}×${t.cols}`))].join(', ');
    const smallest = Math.min(...whole.map((t) => Math.ceil((t.rows * t.cols) / (t.rows + t.cols))));
    return [
      `${budget} covers every entry of ${whole.length} of ${targets.length} target matrices (${shapes}): they train as in full fine-tuning, not sparsely` +
        (o.density === undefined ? `; a rank below ${smallest} keeps every matrix sparse` : ''),
    ];
  },
  async create(target, options: MethodOptions, ctx) {
    const o = options as unknown as SparseOptions;
    const budget = maskBudget(target.rows, target.cols, { rank: o.rank, ...(o.density !== undefined ? { density: o.density } : {}) });
    const indices = await selectMask(ctx.strategy!, target.name, target.weight, target.rows, target.cols, budget, {
      rng: ctx.maskRng,
      step: 0,
      ...(ctx.ops ? { ops: ctx.ops } : {}),
      ...(ctx.selection ? { selection: ctx.selection } : {}),
    });
    return new SparseTarget(target.name, target.rows, target.cols, target.weight, indices);
  },
};

export function register(registry: Registry): void {
  registry.registerParametrization(sparseParametrization);
}
