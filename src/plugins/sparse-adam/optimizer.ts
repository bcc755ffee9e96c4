/**
 * Sparse AdamW in the form LIFT's reference uses (Hugging Face transformers' AdamW,
 * correct_bias=True): moments exist only for the k masked values it is handed.
 *
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
 *   p ← p − lr·sqrt(1−β2ᵗ)/(1−β1ᵗ) · m/(sqrt(v)+eps)
 *   p ← p − lr·wd·p          (only when wd > 0; HF decays after the update, from the updated p)
 *
 * Note eps is added to sqrt(v) before the bias correction is folded into the step size; this is
 * what makes it differ from PyTorch's AdamW (the adamw plugin) beyond the decay order.
 */
import type { MethodOptions } from '../../core/contracts.js';
import { blockOptions } from '../../core/config/method-options.js';
import { type AdamHyper, MomentOptimizer, adamHyper, adamOptions } from '../../core/optim/index.js';
import type { KernelRef } from '../../core/parallel.js';
import { SPARSE_ADAM_KERNEL } from './kernel.js';

export const SPARSE_ADAM_DEFAULTS: AdamHyper = { beta1: 0.9, beta2: 0.95, eps: 1e-6, weightDecay: 0 };

export const SPARSE_ADAM_OPTIONS = adamOptions(SPARSE_ADAM_DEFAULTS, 'Decoupled weight decay on the masked entries only (the reference: 0).');

export class SparseAdamW extends MomentOptimizer {
  readonly name = 'sparse-adam';

  constructor(hyper: Partial<AdamHyper> = {}) {
    super({ ...SPARSE_ADAM_DEFAULTS, ...hyper });
  }

  /** From complete method options (betas, eps, weightDecay: see OPTIONS). */
  static fromOptions(options: MethodOptions): SparseAdamW {
    return new SparseAdamW(adamHyper(blockOptions('sparse-adam', SPARSE_ADAM_OPTIONS, options)));
  }

  protected update(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, t: number, lr: number): void {
    this.kernelUpdate(p, g, m, v, t, lr);
  }

  protected override kernel(): KernelRef {
    return SPARSE_ADAM_KERNEL;
  }

  /** The kernel's scalars (kernel.ts): computed once per parameter and step, the same numbers on every thread. */
  protected override kernelScalars(t: number, lr: number, gradScale: number): number[] {
    const { beta1, beta2, eps, weightDecay } = this.hyper;
    const stepSize = (lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
    return [beta1, beta2, eps, stepSize, lr * weightDecay, 1 - beta1, 1 - beta2, gradScale];
  }
}
