/** Random baseline: `budget` entries drawn uniformly without replacement. */
import type { MaskContext, MaskStrategy, OptionsFragment, RefreshTiming } from '../../core/contracts.js';
import { REFRESH_AT_OPTION } from '../../core/config/mask-options.js';
import { blockOptions } from '../../core/config/method-options.js';
import { checkBudget, matrixShape } from '../../core/linalg/index.js';
import type { Tensor } from '../../core/tensor.js';
import { maskRng, sampleSortedDistinct } from './sample.js';

export const RANDOM_OPTIONS: OptionsFragment = Object.freeze({
  interval: {
    type: 'integer',
    minimum: 0,
    default: 200,
    description: 'Optimizer steps between mask refreshes (when: refreshAt); 0 never refreshes.',
  },
  refreshAt: REFRESH_AT_OPTION,
  seed: {
    type: 'integer',
    minimum: 0,
    maximum: 0xffffffff,
    description: "When set, each mask is drawn from a stream derived from (seed, parameter, step) instead of the run's RNG.",
  },
});

export interface RandomOptions {
  interval: number;
  refreshAt: RefreshTiming;
  seed?: number;
}

export class RandomStrategy implements MaskStrategy {
  readonly name = 'random';
  readonly refreshInterval: number;
  readonly refreshAt: RefreshTiming;
  readonly seed?: number;

  constructor(options: Partial<RandomOptions> = {}) {
    const o = blockOptions<RandomOptions>('random', RANDOM_OPTIONS, options);
    this.refreshInterval = o.interval;
    this.refreshAt = o.refreshAt;
    if (o.seed !== undefined) this.seed = o.seed;
  }

  async select(weight: Tensor<'float32'>, budget: number, context: MaskContext): Promise<Int32Array> {
    const [m, n] = matrixShape(weight, context.name);
    checkBudget(budget, m * n, context.name);
    const rng = this.seed === undefined ? context.rng : maskRng(this.seed, context.name, context.step);
    return sampleSortedDistinct(m * n, budget, rng);
  }
}
