/**
 * The sparse AdamW update (Hugging Face form) over elements [start, end): one kernel for the
 * calling thread and for worker threads (core/parallel.ts). Imports nothing: a worker loads this
 * module by its URL.
 *
 * arrays: [p, g, m, v]; scalars: [beta1, beta2, eps, stepSize, decay, a1, a2, gradScale],
 * precomputed once per parameter and step by SparseAdamW.scalars().
 */
export function sparseAdamKernel(arrays: readonly Float32Array[], s: Float64Array, start: number, end: number): void {
  const p = arrays[0]!;
  const g = arrays[1]!;
  const m = arrays[2]!;
  const v = arrays[3]!;
  const beta1 = s[0]!;
  const beta2 = s[1]!;
  const eps = s[2]!;
  const stepSize = s[3]!;
  const decay = s[4]!;
  const a1 = s[5]!;
  const a2 = s[6]!;
  const scale = s[7]!;
  for (let i = start; i < end; i++) {
    // scale 1: g itself; otherwise the float32 an in-place `g[i] *= scale` would have stored
    const gi = scale === 1 ? g[i]! : Math.fround(g[i]! * scale);
    const mi = beta1 * m[i]! + a1 * gi;
    const vi = beta2 * v[i]! + a2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    let pi = p[i]! - (stepSize * mi) / (Math.sqrt(vi) + eps);
    if (decay > 0) pi -= decay * pi;
    p[i] = pi;
  }
}

export const SPARSE_ADAM_KERNEL = Object.freeze({ module: import.meta.url, name: 'sparseAdamKernel', fn: sparseAdamKernel });
