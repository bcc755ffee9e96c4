import type { Registry } from '../../core/registry.js';
import { SPARSE_ADAM_OPTIONS, SparseAdamW } from './optimizer.js';

export { SparseAdamW, SPARSE_ADAM_DEFAULTS, SPARSE_ADAM_OPTIONS } from './optimizer.js';

/** Registers the optimizer 'sparse-adam' (options: betas, eps, weightDecay). */
export function register(registry: Registry): void {
  registry.registerOptimizer('sparse-adam', (options) => SparseAdamW.fromOptions(options), SPARSE_ADAM_OPTIONS);
}
