/**
 * Full fine-tuning's "mask": every entry. The budget is ignored, not checked: full training is
 * defined by training everything, and callers compute one budget for every method alike.
 */
import type { MaskContext, MaskStrategy } from '../../core/contracts.js';
import { matrixShape } from '../../core/linalg/index.js';
import type { Tensor } from '../../core/tensor.js';

export class FullStrategy implements MaskStrategy {
  readonly name = 'full';
  /** The mask never changes. */
  readonly refreshInterval = 0;

  async select(weight: Tensor<'float32'>, _budget: number, context: MaskContext): Promise<Int32Array> {
    const [m, n] = matrixShape(weight, context.name);
    const out = new Int32Array(m * n);
    for (let i = 0; i < out.length; i++) out[i] = i;
    return out;
  }
}
