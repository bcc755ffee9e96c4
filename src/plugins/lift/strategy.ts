/**
 * LIFT's mask: the `budget` entries of largest magnitude in the rank-r' approximation W_r of W
 * (the "principal weights"). Rank reduction first strips the small singular directions, whose
 * entries would otherwise dominate a plain magnitude ranking with noise. `selection: 'smallest'`
 * takes the other end, as the authors' published scripts do (docs/fidelity.md).
 */
import type { MaskContext, MaskStrategy, OptionsFragment, RefreshTiming } from '../../core/contracts.js';
import type { PortableRef } from '../../core/tasks.js';
import { REFRESH_AT_OPTION, SELECTION_OPTION } from '../../core/config/mask-options.js';
import { blockOptions } from '../../core/config/method-options.js';
import { type Selection, checkBudget, hostDenseOps, lowRankReconstruction, matrixShape, topKByMagnitude } from '../../core/linalg/index.js';
import type { Tensor } from '../../core/tensor.js';

/**
 * The default path's decomposition, chosen by measurement (docs/fidelity.md, "Exact masks"):
 * - matrices whose smaller side is ≤ 256 get the exact W_r (the float64 Gram's eigenvectors):
 *   there it costs at most ~0.1 s a matrix, 1.4× the randomized path at r' = 128 (beyond, it grows
 *   as p³), and it covers every matrix of the bundled model and the k/v projections of SmolLM2-135M;
 * - larger ones the randomized SVD with 32 extra sketch columns and 4 power iterations, whose
 *   masks overlap the exact ones by ≥ 0.998 on 135M-shaped matrices with σᵢ ∝ i⁻¹ at r' = 128
 *   (the textbook 10 and 2: 0.988) for 1.45–1.75× the time per matrix.
 */
export const LIFT_SVD_DEFAULTS = Object.freeze({ oversampling: 32, powerIterations: 4, exactThreshold: 256 });

export interface LiftOptions {
  /** r', the rank of the approximation whose magnitudes rank the entries. Default 128. */
  filterRank: number;
  /** Optimizer steps between mask refreshes; 0 never refreshes. Default 200. */
  interval: number;
  /** When refreshes fall: after steps I, 2I, ... ('multiple', default) or I−1, 2I−1, ... ('reference'). */
  refreshAt: RefreshTiming;
  /** The k largest |W_r| (default, the paper) or the k smallest (the published scripts). */
  selection: Selection;
  /** Randomized SVD: extra sketch columns (≥ 10). Default 32. */
  oversampling: number;
  /** Randomized SVD: power iterations (≥ 2). Default 4. */
  powerIterations: number;
  /** Matrices whose smaller side is at most max(this, r' + oversampling) get the exact W_r. Default 256. */
  exactThreshold: number;
}

export const LIFT_OPTIONS: OptionsFragment = Object.freeze({
  filterRank: { type: 'integer', minimum: 1, default: 128, description: "r', the rank of the approximation W_r whose magnitudes rank the entries." },
  interval: {
    type: 'integer',
    minimum: 0,
    default: 200,
    description: 'Optimizer steps between mask refreshes (when: refreshAt); 0 never refreshes. The recipes use 10-400.',
  },
  refreshAt: REFRESH_AT_OPTION,
  selection: SELECTION_OPTION,
  oversampling: {
    type: 'integer',
    minimum: 10,
    default: LIFT_SVD_DEFAULTS.oversampling,
    description: 'Randomized SVD (matrices above exactThreshold): extra sketch columns beyond filterRank.',
  },
  powerIterations: { type: 'integer', minimum: 2, default: LIFT_SVD_DEFAULTS.powerIterations, description: 'Randomized SVD: power iterations.' },
  exactThreshold: {
    type: 'integer',
    minimum: 0,
    default: LIFT_SVD_DEFAULTS.exactThreshold,
    description: "Matrices whose smaller side is at most max(this, filterRank + oversampling) get the exact W_r; a very large value makes every mask exact, as the authors' published runs are.",
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

  get refreshAt(): RefreshTiming {
    return this.options.refreshAt;
  }

  async select(weight: Tensor<'float32'>, budget: number, context: MaskContext): Promise<Int32Array> {
    const [m, n] = matrixShape(weight, context.name);
    checkBudget(budget, m * n, context.name);
    const { filterRank, oversampling, powerIterations, exactThreshold, selection } = this.options;
    const wr = await lowRankReconstruction(weight.data, m, n, filterRank, {
      rng: context.rng,
      ops: context.ops ?? hostDenseOps,
      oversampling,
      powerIterations,
      exactThreshold,
    });
    return topKByMagnitude(wr, budget, selection);
  }

  /** Rebuilt on a worker thread by createLiftStrategy with the same (complete) options. */
  portable(): PortableRef {
    return { module: import.meta.url, export: 'createLiftStrategy', options: { ...this.options } };
  }
}

/** A LiftStrategy from its options (what a worker thread calls to rebuild one: LiftStrategy.portable). */
export function createLiftStrategy(options: Partial<LiftOptions> = {}): LiftStrategy {
  return new LiftStrategy(options);
}
