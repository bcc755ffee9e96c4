/** Hyperparameters shared by the Adam-family optimizers: their options fragment and checkpoint form. */
import type { MethodOptions, OptionsFragment } from '../contracts.js';
import { InvalidArgumentError } from '../errors.js';
import { checkNumber } from './options.js';

export interface AdamHyper {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
}

/** The options fragment of an Adam-family optimizer with its defaults: betas, eps, weightDecay. */
export function adamOptions(defaults: AdamHyper, decay: string): OptionsFragment {
  return Object.freeze({
    betas: {
      type: 'array',
      items: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
      minItems: 2,
      maxItems: 2,
      default: [defaults.beta1, defaults.beta2],
      description: 'Adam (β1, β2).',
    },
    eps: { type: 'number', exclusiveMinimum: 0, default: defaults.eps, description: 'Added to sqrt(v).' },
    weightDecay: { type: 'number', minimum: 0, default: defaults.weightDecay, description: decay },
  });
}

/** The hyperparameters from complete options (validated by the fragment above). */
export function adamHyper(options: MethodOptions): AdamHyper {
  const [beta1, beta2] = options.betas as [number, number];
  return { beta1, beta2, eps: options.eps as number, weightDecay: options.weightDecay as number };
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
