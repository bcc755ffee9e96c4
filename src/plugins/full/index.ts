import type { Method } from '../../core/contracts.js';
import type { Registry } from '../../core/registry.js';
import { FullStrategy } from './strategy.js';

export { FullStrategy } from './strategy.js';

/** Full fine-tuning: dense AdamW (PyTorch form) on every target weight; the reference's lr. */
export const FULL_METHOD: Method = Object.freeze({
  name: 'full',
  parametrization: 'dense',
  strategy: 'full',
  optimizer: 'adamw',
  defaults: Object.freeze({ lr: 5e-5, weightDecay: 0.01 }),
  options: Object.freeze([]),
});

export function register(registry: Registry): void {
  registry.registerStrategy('full', () => new FullStrategy());
  registry.registerMethod(FULL_METHOD);
}
