/** Argument checks every MaskStrategy.select shares. */
import { InvalidArgumentError } from '../errors.js';
import type { Tensor } from '../tensor.js';

/** [m, n] of a float32 matrix handed to a strategy; `name` is the parameter, for the message. */
export function matrixShape(weight: Tensor<'float32'>, name: string): [number, number] {
  if (weight.dtype !== 'float32' || weight.shape.length !== 2 || weight.data.length !== weight.shape[0]! * weight.shape[1]!) {
    throw new InvalidArgumentError(
      `mask selection needs a float32 matrix [m, n]; ${name} is ${weight.dtype} [${weight.shape.join(', ')}]`,
      { parameter: name },
    );
  }
  return [weight.shape[0]!, weight.shape[1]!];
}

/** Throws unless budget is an integer in [0, size]. */
export function checkBudget(budget: number, size: number, name: string): number {
  if (!Number.isInteger(budget) || budget < 0 || budget > size) {
    throw new InvalidArgumentError(`budget for ${name} must be an integer in [0, ${size}]; got ${budget}`, {
      parameter: name,
      field: 'budget',
    });
  }
  return budget;
}
