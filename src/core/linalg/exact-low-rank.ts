/**
 * W_r, the best rank-r approximation of W, exactly: the projection of W onto the span of its r
 * leading left (or right) singular vectors, found as the leading eigenvectors of the float64
 * Gram Â·Âᵀ of W's smaller side (Â = W when m ≤ n, Wᵀ otherwise).
 *
 * This is the exact SVD's answer (the masks agree index for index with ml-matrix's SVD in the
 * tests and in docs/fidelity.md), at a fraction of its cost: the big products (the Gram, the
 * projection) run on DenseOps, and the host does one p×p symmetric eigenproblem (p = min(m, n)),
 * computing only the r kept or the p − r dropped eigenvectors, whichever are fewer. The Gram
 * squares the singular values, but in float64 that moves the subspace by about
 * 1e-16·σ₁²/(σ_r² − σ_{r+1}²), far below what W's float32 entries carry.
 */
import type { DenseOps } from '../contracts.js';
import { symmetricEigenSmallest } from './eigen.js';
import { gramOf } from './gram.js';
import { hostDenseOps } from './host-ops.js';

/** W_r (float32, row-major m×n) of the row-major m×n float32 W; W itself (a copy) when rank ≥ min(m, n). */
export async function exactLowRank(w: Float32Array, m: number, n: number, rank: number, ops: DenseOps = hostDenseOps): Promise<Float32Array> {
  const t = m > n;
  const p = t ? n : m;
  if (rank >= p) return w.slice();
  const rows = t ? transpose(w, m, n) : w; // Â [p, D]
  const g = await gramOf(ops)(rows, p, t ? m : n);
  // The r largest eigenpairs of G are the r smallest of −G; when r > p/2 the p − r dropped ones
  // are fewer to compute, and W_r = W − (their projection).
  const keep = rank <= p - rank;
  const c = keep ? rank : p - rank;
  if (keep) for (let i = 0; i < g.length; i++) g[i] = -g[i]!;
  const basis = Float32Array.from(symmetricEigenSmallest(g, p, c).vectors); // [c, p], orthonormal rows
  // P = basisᵀ·basis projects onto their span, applied on W's own side (no transposed copies of
  // the result): m ≤ n: P·W = basisᵀ·(basis·W); m > n: (P·Wᵀ)ᵀ = (W·basisᵀ)·basis.
  const proj = t
    ? await ops.matmul(await ops.matmul(w, [m, n], basis, [c, n], { transB: true }), [m, c], basis, [c, n])
    : await ops.matmul(basis, [c, m], await ops.matmul(basis, [c, m], w, [m, n]), [c, n], { transA: true });
  if (keep) return proj;
  for (let i = 0; i < proj.length; i++) proj[i] = w[i]! - proj[i]!;
  return proj;
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j]!;
  return out;
}
