/**
 * The AdamW update (PyTorch form) over elements [start, end): one kernel for the calling thread
 * and for worker threads (core/parallel.ts), so where it runs never changes a bit. Imports nothing:
 * a worker loads this module by its URL.
 *
 * arrays: [p, g, m, v]; scalars: [beta1, beta2, eps, keep, stepSize, bc2Sqrt, a1, a2, gradScale],
 * precomputed once per parameter and step by AdamW.scalars().
 */
export function adamwKernel(arrays: readonly Float32Array[], s: Float64Array, start: number, end: number): void {
  const p = arrays[0]!;
  const g = arrays[1]!;
  const m = arrays[2]!;
  const v = arrays[3]!;
  const beta1 = s[0]!;
  const beta2 = s[1]!;
  const eps = s[2]!;
  const keep = s[3]!;
  const stepSize = s[4]!;
  const bc2Sqrt = s[5]!;
  const a1 = s[6]!;
  const a2 = s[7]!;
  const scale = s[8]!;
  if (scale === 1) {
    for (let i = start; i < end; i++) {
      const gi = g[i]!;
      const mi = beta1 * m[i]! + a1 * gi;
      const vi = beta2 * v[i]! + a2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] = p[i]! * keep - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
    }
  } else {
    for (let i = start; i < end; i++) {
      // clipping fused: the float32 an in-place `g[i] *= scale` would have stored
      const gi = Math.fround(g[i]! * scale);
      const mi = beta1 * m[i]! + a1 * gi;
      const vi = beta2 * v[i]! + a2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] = p[i]! * keep - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
    }
  }
}

export const ADAMW_KERNEL = Object.freeze({ module: import.meta.url, name: 'adamwKernel', fn: adamwKernel });
