/** Global-norm gradient clipping over every trainable vector (torch.nn.utils.clip_grad_norm_). */
export function globalNorm(grads: Iterable<Float32Array>): number {
  let sum = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sum += g[i]! * g[i]!;
  return Math.sqrt(sum);
}

/** The factor clipping multiplies every gradient by for a global norm `norm`: 1 when it does not clip. */
export function clipScale(norm: number, maxNorm: number): number {
  return maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
}

/** Scales gradients in place so their global norm is at most maxNorm; returns the norm before clipping. */
export function clipGlobalNorm(grads: readonly Float32Array[], maxNorm: number): number {
  const norm = globalNorm(grads);
  if (maxNorm > 0 && norm > maxNorm) {
    const scale = clipScale(norm, maxNorm);
    for (const g of grads) for (let i = 0; i < g.length; i++) g[i]! *= scale;
  }
  return norm;
}
