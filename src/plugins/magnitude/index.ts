import type { Method } from '../../core/contracts.js';
import type { Registry } from '../../core/registry.js';
import { MagnitudeStrategy } from './strategy.js';

export { MagnitudeStrategy } from './strategy.js';

export const MAGNITUDE_METHOD: Method = Object.freeze({
  name: 'magnitude',
  parametrization: 'sparse',
  strategy: 'magnitude',
  optimizer: 'sparse-adam',
  defaults: Object.freeze({ lr: 2e-4, rank: 128, interval: 200 }),
  options: Object.freeze(['rank', 'density', 'interval']),
});

export function register(registry: Registry): void {
  registry.registerStrategy('magnitude', (options) => MagnitudeStrategy.fromOptions(options));
  registry.registerMethod(MAGNITUDE_METHOD);
}
