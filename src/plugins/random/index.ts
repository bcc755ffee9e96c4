import type { Method } from '../../core/contracts.js';
import type { Registry } from '../../core/registry.js';
import { RANDOM_OPTIONS, type RandomOptions, RandomStrategy } from './strategy.js';

export { RandomStrategy, RANDOM_OPTIONS, type RandomOptions } from './strategy.js';
export { sampleSortedDistinct } from './sample.js';

export const RANDOM_METHOD: Method = Object.freeze({
  name: 'random',
  description: 'Sparse fine-tuning of k entries drawn uniformly at random (seeded), sparse AdamW.',
  parametrization: 'sparse',
  strategy: 'random',
  optimizer: 'sparse-adam',
  defaults: Object.freeze({ lr: 2e-4 }),
});

export function register(registry: Registry): void {
  registry.registerStrategy('random', (options) => new RandomStrategy(options as unknown as RandomOptions), RANDOM_OPTIONS);
  registry.registerMethod(RANDOM_METHOD);
}
