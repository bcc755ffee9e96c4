/** Random baseline: `budget` entries drawn uniformly without replacement. */
import type { MaskContext, MaskStrategy, MethodOptions } from '../../core/contracts.js';
import { checkBudget, matrixShape } from '../../core/linalg/index.js';
import { checkNumber, readNumber } from '../../core/optim/index.js';
import type { Tensor } from '../../core/tensor.js';
import { maskRng, sampleSortedDistinct } from './sample.js';

export class RandomStrategy implements MaskStrategy {
  readonly name = 'random';

  /**
   * @param refreshInterval optimizer steps between refreshes; 0 never refreshes. Default 200.
   * @param seed when set, each mask is drawn from a stream derived from (seed, parameter, step);
   *   otherwise from the run's context.rng, in the order select is called.
   */
  constructor(
    readonly refreshInterval = 200,
    readonly seed?: number,
  ) {
    checkNumber('interval', refreshInterval, { integer: true, min: 0 });
    if (seed !== undefined) checkNumber('seed', seed, { integer: true, min: 0, max: 0xffffffff });
  }

  static fromOptions(options: MethodOptions): RandomStrategy {
    const seed = options.seed === undefined ? undefined : checkNumber('seed', options.seed, { integer: true, min: 0, max: 0xffffffff });
    return new RandomStrategy(readNumber(options, 'interval', 200, { integer: true, min: 0 }), seed);
  }

  async select(weight: Tensor<'float32'>, budget: number, context: MaskContext): Promise<Int32Array> {
    const [m, n] = matrixShape(weight, context.name);
    checkBudget(budget, m * n, context.name);
    const rng = this.seed === undefined ? context.rng : maskRng(this.seed, context.name, context.step);
    return sampleSortedDistinct(m * n, budget, rng);
  }
}
