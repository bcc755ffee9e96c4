import type { Method } from '../../core/contracts.js';
import type { Registry } from '../../core/registry.js';
import { RandomStrategy } from './strategy.js';

export { RandomStrategy } from './strategy.js';
export { sampleSortedDistinct } from './sample.js';

export const RANDOM_METHOD: Method = Object.freeze({
  name: 'random',
  parametrization: 'sparse',
  strategy: 'random',
  optimizer: 'sparse-adam',
  defaults: Object.freeze({ lr: 2e-4, rank: 128, interval: 200 }),
  options: Object.freeze(['rank', 'density', 'interval', 'seed']),
});

export function register(registry: Registry): void {
  registry.registerStrategy('random', (options) => RandomStrategy.fromOptions(options));
  registry.registerMethod(RANDOM_METHOD);
}
