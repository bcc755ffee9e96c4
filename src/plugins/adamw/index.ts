import type { Registry } from '../../core/registry.js';
import { ADAMW_OPTIONS, AdamW } from './optimizer.js';

export { AdamW, ADAMW_DEFAULTS, ADAMW_OPTIONS } from './optimizer.js';

/** Registers the optimizer 'adamw' (options: betas, eps, weightDecay). */
export function register(registry: Registry): void {
  registry.registerOptimizer('adamw', (options) => AdamW.fromOptions(options), ADAMW_OPTIONS);
}
