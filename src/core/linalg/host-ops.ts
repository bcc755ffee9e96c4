/**
 * DenseOps in plain JavaScript loops, used when no backend is supplied (tests, small matrices).
 * Sums are accumulated in float64 and rounded to float32 once, so the result is as accurate as a
 * float32 output allows regardless of the inner dimension.
 */
import type { DenseOps } from '../contracts.js';
import { InvalidArgumentError } from '../errors.js';

type Shape = readonly [number, number];

export function hostMatmul(
  a: Float32Array,
  aShape: Shape,
  b: Float32Array,
  bShape: Shape,
  options: { transA?: boolean; transB?: boolean } = {},
): Float32Array {
  checkOperand('a', a, aShape);
  checkOperand('b', b, bShape);
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  const [m, ka] = transA ? [aShape[1], aShape[0]] : aShape;
  const [kb, n] = transB ? [bShape[1], bShape[0]] : bShape;
  if (ka !== kb) {
    throw new InvalidArgumentError(
      `matmul inner dimensions differ: op(a) is [${m}, ${ka}], op(b) is [${kb}, ${n}]`,
      { field: 'bShape', aShape, bShape, ...options },
    );
  }
  const k = ka;
  // Row-major A' [m, k]: a transposed A is copied once (O(mk)) so the product loop reads rows contiguously.
  const ar = transA ? transpose(a, aShape[0], aShape[1]) : a;
  const c = new Float32Array(m * n);
  if (transB) {
    // B is stored [n, k]: row i of A' against row j of B is a contiguous dot product.
    for (let i = 0; i < m; i++) {
      const ai = i * k;
      for (let j = 0; j < n; j++) {
        const bj = j * k;
        let s = 0;
        for (let p = 0; p < k; p++) s += ar[ai + p]! * b[bj + p]!;
        c[i * n + j] = s;
      }
    }
    return c;
  }
  // i-k-j order streams rows of B and the output row; the row is accumulated in float64.
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    const ai = i * k;
    for (let p = 0; p < k; p++) {
      const x = ar[ai + p]!;
      const bp = p * n;
      for (let j = 0; j < n; j++) acc[j]! += x * b[bp + j]!;
    }
    c.set(acc, i * n);
  }
  return c;
}

/** The host implementation of DenseOps. */
export const hostDenseOps: DenseOps = {
  matmul: async (a, aShape, b, bShape, options) => hostMatmul(a, aShape, b, bShape, options),
};

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j]!;
  return t;
}

function checkOperand(field: string, x: Float32Array, shape: Shape): void {
  const [r, c] = shape;
  if (!Number.isInteger(r) || !Number.isInteger(c) || r < 0 || c < 0 || x.length !== r * c) {
    throw new InvalidArgumentError(`matmul operand ${field} has ${x.length} elements but shape [${r}, ${c}]`, {
      field,
      shape,
    });
  }
}
