import type { Registry } from '../../core/registry.js';
import { AdamW } from './optimizer.js';

export { AdamW, ADAMW_DEFAULTS } from './optimizer.js';

/** Registers the optimizer 'adamw' (options: betas, eps, weightDecay). */
export function register(registry: Registry): void {
  registry.registerOptimizer('adamw', (options) => AdamW.fromOptions(options));
}
