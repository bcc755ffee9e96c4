import type { Registry } from '../../core/registry.js';
import { SparseAdamW } from './optimizer.js';

export { SparseAdamW, SPARSE_ADAM_DEFAULTS } from './optimizer.js';

/** Registers the optimizer 'sparse-adam' (options: betas, eps, weightDecay). */
export function register(registry: Registry): void {
  registry.registerOptimizer('sparse-adam', (options) => SparseAdamW.fromOptions(options));
}
