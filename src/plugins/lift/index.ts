import type { Method } from '../../core/contracts.js';
import type { Registry } from '../../core/registry.js';
import { LIFT_OPTIONS, type LiftOptions, LiftStrategy } from './strategy.js';

export { LiftStrategy, LIFT_OPTIONS, type LiftOptions } from './strategy.js';

/** LIFT = the sparse parametrization + the lift mask + sparse AdamW; defaults from the paper's recipes. */
export const LIFT_METHOD: Method = Object.freeze({
  name: 'lift',
  description: "LIFT: sparse fine-tuning of the principal weights, the top-k |W_r| of the rank-r' approximation, sparse AdamW.",
  parametrization: 'sparse',
  strategy: 'lift',
  optimizer: 'sparse-adam',
  defaults: Object.freeze({ lr: 2e-4 }),
});

export function register(registry: Registry): void {
  registry.registerStrategy('lift', (options) => new LiftStrategy(options as unknown as LiftOptions), LIFT_OPTIONS);
  registry.registerMethod(LIFT_METHOD);
}
