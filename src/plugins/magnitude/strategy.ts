/** Magnitude baseline: the `budget` entries of largest |W|, with no rank reduction. */
import type { MaskContext, MaskStrategy, MethodOptions } from '../../core/contracts.js';
import { checkBudget, matrixShape, topKByMagnitude } from '../../core/linalg/index.js';
import { checkNumber, readNumber } from '../../core/optim/index.js';
import type { Tensor } from '../../core/tensor.js';

export class MagnitudeStrategy implements MaskStrategy {
  readonly name = 'magnitude';

  /** @param refreshInterval optimizer steps between refreshes; 0 never refreshes. Default 200. */
  constructor(readonly refreshInterval = 200) {
    checkNumber('interval', refreshInterval, { integer: true, min: 0 });
  }

  static fromOptions(options: MethodOptions): MagnitudeStrategy {
    return new MagnitudeStrategy(readNumber(options, 'interval', 200, { integer: true, min: 0 }));
  }

  async select(weight: Tensor<'float32'>, budget: number, context: MaskContext): Promise<Int32Array> {
    const [m, n] = matrixShape(weight, context.name);
    return topKByMagnitude(weight.data, checkBudget(budget, m * n, context.name));
  }
}
