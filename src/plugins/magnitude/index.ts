import type { Method } from '../../core/contracts.js';
import type { Registry } from '../../core/registry.js';
import { MAGNITUDE_OPTIONS, type MagnitudeOptions, MagnitudeStrategy } from './strategy.js';

export { MagnitudeStrategy, MAGNITUDE_OPTIONS, type MagnitudeOptions } from './strategy.js';

export const MAGNITUDE_METHOD: Method = Object.freeze({
  name: 'magnitude',
  description: 'Sparse fine-tuning of the top-k |W| entries (no rank reduction), sparse AdamW.',
  parametrization: 'sparse',
  strategy: 'magnitude',
  optimizer: 'sparse-adam',
  defaults: Object.freeze({ lr: 2e-4 }),
});

export function register(registry: Registry): void {
  registry.registerStrategy('magnitude', (options) => new MagnitudeStrategy(options as unknown as MagnitudeOptions), MAGNITUDE_OPTIONS);
  registry.registerMethod(MAGNITUDE_METHOD);
}
