/** Magnitude baseline: the `budget` entries of largest |W|, with no rank reduction. */
import type { MaskContext, MaskStrategy, OptionsFragment } from '../../core/contracts.js';
import { blockOptions } from '../../core/config/method-options.js';
import { checkBudget, matrixShape, topKByMagnitude } from '../../core/linalg/index.js';
import type { Tensor } from '../../core/tensor.js';

const INTERVAL_OPTION = {
  type: 'integer',
  minimum: 0,
  default: 200,
  description: 'Optimizer steps between mask refreshes (after steps I, 2I, ...); 0 never refreshes. The recipes use 10-400.',
};

export const MAGNITUDE_OPTIONS: OptionsFragment = Object.freeze({ interval: INTERVAL_OPTION });

export interface MagnitudeOptions {
  interval: number;
}

export class MagnitudeStrategy implements MaskStrategy {
  readonly name = 'magnitude';
  readonly refreshInterval: number;

  constructor(options: Partial<MagnitudeOptions> = {}) {
    this.refreshInterval = blockOptions<MagnitudeOptions>('magnitude', MAGNITUDE_OPTIONS, options).interval;
  }

  async select(weight: Tensor<'float32'>, budget: number, context: MaskContext): Promise<Int32Array> {
    const [m, n] = matrixShape(weight, context.name);
    return topKByMagnitude(weight.data, checkBudget(budget, m * n, context.name));
  }
}
