import type { Method } from '../../core/contracts.js';
import type { Registry } from '../../core/registry.js';

/** Full fine-tuning: the dense parametrization with PyTorch-form AdamW on every target weight; the reference's lr and decay. */
export const FULL_METHOD: Method = Object.freeze({
  name: 'full',
  description: 'Full fine-tuning: dense AdamW (PyTorch form) on every target weight.',
  parametrization: 'dense',
  optimizer: 'adamw',
  defaults: Object.freeze({ lr: 5e-5, weightDecay: 0.01 }),
});

export function register(registry: Registry): void {
  registry.registerMethod(FULL_METHOD);
}
