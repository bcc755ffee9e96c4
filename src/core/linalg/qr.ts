/**
 * Thin Householder QR on column-major float64 storage. Columns are contiguous, so every reflector
 * touches memory sequentially; and unlike Gram-Schmidt the returned Q is orthonormal to rounding
 * even when the input is rank deficient (as sketches of low-rank matrices are).
 */

export interface ThinQr {
  /** Q [m, l], column-major: column j is q[j*m .. (j+1)*m). Equivalently Qᵀ row-major [l, m]. */
  q: Float64Array;
  /** R [l, l], row-major, upper triangular. Only computed when asked for. */
  r?: Float64Array;
}

/**
 * QR of the m×l matrix held column-major in `a` (m ≥ l). `a` is not modified.
 */
export function householderQr(a: Float64Array, m: number, l: number, wantR = false): ThinQr {
  const w = a.slice();
  const diag = new Float64Array(l);
  for (let k = 0; k < l; k++) {
    const ck = k * m;
    let norm = 0;
    for (let i = k; i < m; i++) norm += w[ck + i]! * w[ck + i]!;
    norm = Math.sqrt(norm);
    if (norm === 0) {
      // nothing to annihilate: the identity reflector (v = 0) keeps Q orthonormal
      diag[k] = 0;
      continue;
    }
    // alpha takes the sign opposite to x0, so v0 = x0 - alpha never cancels
    const alpha = w[ck + k]! >= 0 ? -norm : norm;
    w[ck + k]! -= alpha;
    let vnorm = 0;
    for (let i = k; i < m; i++) vnorm += w[ck + i]! * w[ck + i]!;
    vnorm = Math.sqrt(vnorm);
    for (let i = k; i < m; i++) w[ck + i]! /= vnorm;
    diag[k] = alpha;
    for (let j = k + 1; j < l; j++) reflect(w, ck, j * m, k, m);
  }

  const q = new Float64Array(m * l);
  for (let j = 0; j < l; j++) q[j * m + j] = 1;
  // Q = H_0 ⋯ H_{l-1} · I[:, :l]; columns j < k of the partial product are still e_j, untouched by H_k
  for (let k = l - 1; k >= 0; k--) {
    for (let j = k; j < l; j++) reflect(w, k * m, j * m, k, m, q);
  }

  if (!wantR) return { q };
  const r = new Float64Array(l * l);
  for (let j = 0; j < l; j++) {
    for (let i = 0; i < j; i++) r[i * l + j] = w[j * m + i]!;
    r[j * l + j] = diag[j]!;
  }
  return { q, r };
}

/** target[k..m) -= 2 v (vᵀ target[k..m)) with the unit reflector v stored at w[vOff + k..]. */
function reflect(w: Float64Array, vOff: number, tOff: number, k: number, m: number, target: Float64Array = w): void {
  let s = 0;
  for (let i = k; i < m; i++) s += w[vOff + i]! * target[tOff + i]!;
  s *= 2;
  if (s === 0) return;
  for (let i = k; i < m; i++) target[tOff + i]! -= s * w[vOff + i]!;
}
