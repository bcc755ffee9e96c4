/**
 * LIFT's mask: the `budget` entries of largest magnitude in the rank-r' approximation W_r of W
 * (the "principal weights"). Rank reduction first strips the small singular directions, whose
 * entries would otherwise dominate a plain magnitude ranking with noise.
 */
import type { MaskContext, MaskStrategy, OptionsFragment } from '../../core/contracts.js';
import { blockOptions } from '../../core/config/method-options.js';
import {
  DEFAULT_EXACT_THRESHOLD,
  DEFAULT_OVERSAMPLING,
  DEFAULT_POWER_ITERATIONS,
  checkBudget,
  hostDenseOps,
  lowRankReconstruction,
  matrixShape,
  topKByMagnitude,
} from '../../core/linalg/index.js';
import type { Tensor } from '../../core/tensor.js';

export interface LiftOptions {
  /** r', the rank of the approximation whose magnitudes rank the entries. Default 128. */
  filterRank: number;
  /** Optimizer steps between mask refreshes; 0 never refreshes. Default 200. */
  interval: number;
  /** Randomized SVD: extra sketch columns (≥ 10). Default 10. */
  oversampling: number;
  /** Randomized SVD: power iterations (≥ 2). Default 2. */
  powerIterations: number;
  /** Matrices whose smaller side is at most max(this, r' + oversampling) get the exact SVD. Default 128. */
  exactThreshold: number;
}

export const LIFT_OPTIONS: OptionsFragment = Object.freeze({
  filterRank: { type: 'integer', minimum: 1, default: 128, description: "r', the rank of the approximation W_r whose magnitudes rank the entries." },
  interval: {
    type: 'integer',
    minimum: 0,
    default: 200,
    description: 'Optimizer steps between mask refreshes (after steps I, 2I, ...); 0 never refreshes. The recipes use 10-400.',
  },
  oversampling: { type: 'integer', minimum: 10, default: DEFAULT_OVERSAMPLING, description: 'Randomized SVD: extra sketch columns.' },
  powerIterations: { type: 'integer', minimum: 2, default: DEFAULT_POWER_ITERATIONS, description: 'Randomized SVD: power iterations.' },
  exactThreshold: {
    type: 'integer',
    minimum: 0,
    default: DEFAULT_EXACT_THRESHOLD,
    description: "Matrices whose smaller side is at most max(this, r' + oversampling) get the exact SVD.",
  },
});

export class LiftStrategy implements MaskStrategy {
  readonly name = 'lift';
  readonly options: LiftOptions;

  constructor(options: Partial<LiftOptions> = {}) {
    this.options = blockOptions<LiftOptions>('lift', LIFT_OPTIONS, options);
  }

  get refreshInterval(): number {
    return this.options.interval;
  }

  async select(weight: Tensor<'float32'>, budget: number, context: MaskContext): Promise<Int32Array> {
    const [m, n] = matrixShape(weight, context.name);
    checkBudget(budget, m * n, context.name);
    const { filterRank, oversampling, powerIterations, exactThreshold } = this.options;
    const wr = await lowRankReconstruction(weight.data, m, n, filterRank, {
      rng: context.rng,
      ops: context.ops ?? hostDenseOps,
      oversampling,
      powerIterations,
      exactThreshold,
    });
    return topKByMagnitude(wr, budget);
  }
}
