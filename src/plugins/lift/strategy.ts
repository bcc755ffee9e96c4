/**
 * LIFT's mask: the `budget` entries of largest magnitude in the rank-r' approximation W_r of W
 * (the "principal weights"). Rank reduction first strips the small singular directions, whose
 * entries would otherwise dominate a plain magnitude ranking with noise.
 */
import type { MaskContext, MaskStrategy, MethodOptions } from '../../core/contracts.js';
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
import { readNumber } from '../../core/optim/index.js';
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

export const LIFT_DEFAULTS: LiftOptions = {
  filterRank: 128,
  interval: 200,
  oversampling: DEFAULT_OVERSAMPLING,
  powerIterations: DEFAULT_POWER_ITERATIONS,
  exactThreshold: DEFAULT_EXACT_THRESHOLD,
};

export class LiftStrategy implements MaskStrategy {
  readonly name = 'lift';
  readonly options: LiftOptions;

  constructor(options: Partial<LiftOptions> = {}) {
    this.options = readLiftOptions({ ...options });
  }

  static fromOptions(options: MethodOptions): LiftStrategy {
    return new LiftStrategy(readLiftOptions(options));
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

export function readLiftOptions(options: MethodOptions): LiftOptions {
  return {
    filterRank: readNumber(options, 'filterRank', LIFT_DEFAULTS.filterRank, { integer: true, min: 1 }),
    interval: readNumber(options, 'interval', LIFT_DEFAULTS.interval, { integer: true, min: 0 }),
    oversampling: readNumber(options, 'oversampling', LIFT_DEFAULTS.oversampling, { integer: true, min: 10 }),
    powerIterations: readNumber(options, 'powerIterations', LIFT_DEFAULTS.powerIterations, { integer: true, min: 2 }),
    exactThreshold: readNumber(options, 'exactThreshold', LIFT_DEFAULTS.exactThreshold, { integer: true, min: 0 }),
  };
}
