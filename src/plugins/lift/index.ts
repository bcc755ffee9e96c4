import type { Method } from '../../core/contracts.js';
import type { Registry } from '../../core/registry.js';
import { LiftStrategy } from './strategy.js';

export { LiftStrategy, LIFT_DEFAULTS, readLiftOptions, type LiftOptions } from './strategy.js';

/** LIFT = sparse parametrization + the lift mask + sparse AdamW; defaults from the paper's recipes. */
export const LIFT_METHOD: Method = Object.freeze({
  name: 'lift',
  parametrization: 'sparse',
  strategy: 'lift',
  optimizer: 'sparse-adam',
  defaults: Object.freeze({ lr: 2e-4, rank: 128, filterRank: 128, interval: 200 }),
  options: Object.freeze(['rank', 'density', 'filterRank', 'interval', 'oversampling', 'powerIterations', 'exactThreshold']),
});

export function register(registry: Registry): void {
  registry.registerStrategy('lift', (options) => LiftStrategy.fromOptions(options));
  registry.registerMethod(LIFT_METHOD);
}
