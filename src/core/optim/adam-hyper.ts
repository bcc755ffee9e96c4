/** Hyperparameters shared by the Adam-family optimizers, read and checked from method options. */
import type { MethodOptions } from '../contracts.js';
import { InvalidArgumentError } from '../errors.js';
import { checkNumber, readNumber } from './options.js';

export interface AdamHyper {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
}

/** Reads `betas` ([β1, β2], each in [0, 1)), `eps` (> 0) and `weightDecay` (≥ 0). */
export function readAdamHyper(options: MethodOptions, defaults: AdamHyper): AdamHyper {
  const [beta1, beta2] = options.betas === undefined ? [defaults.beta1, defaults.beta2] : checkBetas('betas', options.betas);
  return {
    beta1,
    beta2,
    eps: readNumber(options, 'eps', defaults.eps, { above: 0 }),
    weightDecay: readNumber(options, 'weightDecay', defaults.weightDecay, { min: 0 }),
  };
}

export function checkBetas(field: string, value: unknown): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new InvalidArgumentError(`option '${field}' must be a pair [beta1, beta2]; got ${JSON.stringify(value)}`, { field, value });
  }
  return [checkNumber(`${field}[0]`, value[0], { min: 0, below: 1 }), checkNumber(`${field}[1]`, value[1], { min: 0, below: 1 })];
}

/** The checkpoint form of the hyperparameters (OptimizerState.hyper). */
export function hyperToRecord(h: AdamHyper): Record<string, number | number[]> {
  return { betas: [h.beta1, h.beta2], eps: h.eps, weightDecay: h.weightDecay };
}

/** Reads back hyperToRecord's output; field names in errors are prefixed with `hyper.`. */
export function hyperFromRecord(rec: Record<string, number | number[]>): AdamHyper {
  const [beta1, beta2] = checkBetas('hyper.betas', rec.betas);
  return {
    beta1,
    beta2,
    eps: checkNumber('hyper.eps', rec.eps, { above: 0 }),
    weightDecay: checkNumber('hyper.weightDecay', rec.weightDecay, { min: 0 }),
  };
}
