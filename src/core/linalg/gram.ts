/**
 * Gram matrices X·Xᵀ in float64: what both low-rank routes (randomized Cholesky QR and the exact
 * eigendecomposition) orthonormalize or decompose. A backend forms them as a double GEMM; without
 * one, host loops do.
 */
import type { DenseOps } from '../contracts.js';

/**
 * DenseOps that can also form X·Xᵀ in float64 (BackendDenseOps runs it as a double GEMM).
 * Without it, Gram matrices are formed by host loops.
 */
export interface GramOps {
  gram(x: Float32Array, rows: number, cols: number): Promise<Float64Array>;
}

/** X·Xᵀ in float64 for row-major X [rows, cols]. */
export function hostGram(x: Float32Array, rows: number, cols: number): Float64Array {
  const g = new Float64Array(rows * rows);
  for (let i = 0; i < rows; i++) {
    const xi = i * cols;
    for (let j = 0; j <= i; j++) {
      const xj = j * cols;
      let s = 0;
      for (let k = 0; k < cols; k++) s += x[xi + k]! * x[xj + k]!;
      g[i * rows + j] = s;
      g[j * rows + i] = s;
    }
  }
  return g;
}

/** The float64 Gram of `ops` when it has one, else host loops. */
export function gramOf(ops: DenseOps): GramOps['gram'] {
  const g = (ops as Partial<GramOps>).gram;
  return g ? g.bind(ops) : async (x, rows, cols) => hostGram(x, rows, cols);
}
