/**
 * Dense AdamW in PyTorch's form (torch.optim.AdamW), as the reference uses for full fine-tuning
 * and LoRA:
 *
 *   p ← p·(1 − lr·wd)                         (decoupled decay first, from the old p)
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
 *   p ← p − (lr/(1−β1ᵗ)) · m / (sqrt(v)/sqrt(1−β2ᵗ) + eps)
 *
 * remap works as for sparse-adam (the shared merge), so this optimizer can also drive a sparse
 * parametrization; for a dense parameter whose indices are all entries it leaves the state as is.
 */
import type { MethodOptions } from '../../core/contracts.js';
import { blockOptions } from '../../core/config/method-options.js';
import { type AdamHyper, MomentOptimizer, adamHyper, adamOptions } from '../../core/optim/index.js';
import type { KernelRef } from '../../core/parallel.js';
import { ADAMW_KERNEL } from './kernel.js';

export const ADAMW_DEFAULTS: AdamHyper = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.01 };

export const ADAMW_OPTIONS = adamOptions(ADAMW_DEFAULTS, "Decoupled weight decay (PyTorch's AdamW: 0.01).");

export class AdamW extends MomentOptimizer {
  readonly name = 'adamw';

  constructor(hyper: Partial<AdamHyper> = {}) {
    super({ ...ADAMW_DEFAULTS, ...hyper });
  }

  /** From complete method options (betas, eps, weightDecay: see OPTIONS). */
  static fromOptions(options: MethodOptions): AdamW {
    return new AdamW(adamHyper(blockOptions('adamw', ADAMW_OPTIONS, options)));
  }

  protected update(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, t: number, lr: number): void {
    this.kernelUpdate(p, g, m, v, t, lr);
  }

  protected override kernel(): KernelRef {
    return ADAMW_KERNEL;
  }

  /** The kernel's scalars (kernel.ts): computed once per parameter and step, the same numbers on every thread. */
  protected override kernelScalars(t: number, lr: number, gradScale: number): number[] {
    const { beta1, beta2, eps, weightDecay } = this.hyper;
    const keep = 1 - lr * weightDecay;
    const stepSize = lr / (1 - beta1 ** t);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
    return [beta1, beta2, eps, keep, stepSize, bc2Sqrt, 1 - beta1, 1 - beta2, gradScale];
  }
}
