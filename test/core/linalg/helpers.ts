import { Rng } from '../../../src/core/rng.js';

/** Row-major m×n standard normal matrix (float64). */
export function gaussian(rng: Rng, m: number, n: number): Float64Array {
  const a = new Float64Array(m * n);
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  return a;
}

/**
 * m×p matrix with orthonormal columns (row-major), by classical Gram-Schmidt applied twice to
 * Gaussian columns: an implementation independent of the library's Householder QR.
 */
export function orthonormalColumns(rng: Rng, m: number, p: number): Float64Array {
  const cols: Float64Array[] = [];
  for (let j = 0; j < p; j++) {
    const c = new Float64Array(m);
    for (let i = 0; i < m; i++) c[i] = rng.normal();
    for (let pass = 0; pass < 2; pass++) {
      for (const q of cols) {
        let d = 0;
        for (let i = 0; i < m; i++) d += q[i]! * c[i]!;
        for (let i = 0; i < m; i++) c[i]! -= d * q[i]!;
      }
    }
    let nrm = 0;
    for (let i = 0; i < m; i++) nrm += c[i]! * c[i]!;
    nrm = Math.sqrt(nrm);
    for (let i = 0; i < m; i++) c[i]! /= nrm;
    cols.push(c);
  }
  const out = new Float64Array(m * p);
  for (let j = 0; j < p; j++) for (let i = 0; i < m; i++) out[i * p + j] = cols[j]![i]!;
  return out;
}

/** Row-major U[:, :r] diag(s[:r]) V[:, :r]ᵀ in float64; U is m×p, V is n×p. */
export function reconstruct(u: Float64Array, s: ArrayLike<number>, v: Float64Array, m: number, n: number, p: number, r: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let t = 0; t < r; t++) {
      const c = u[i * p + t]! * s[t]!;
      for (let j = 0; j < n; j++) out[i * n + j]! += c * v[j * p + t]!;
    }
  }
  return out;
}

/** Reference top-k by full sort: descending score, then ascending index; returned ascending. */
export function topKReference(scores: ArrayLike<number>, k: number): Int32Array {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return Int32Array.from(idx.slice(0, k)).sort();
}

export function overlap(a: Int32Array, b: Int32Array): number {
  const set = new Set(a);
  let c = 0;
  for (const x of b) if (set.has(x)) c++;
  return c;
}
