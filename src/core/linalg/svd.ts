/**
 * Singular value decompositions for LIFT's rank reduction W_r = U_r Σ_r V_rᵀ.
 *
 * - exactSvd: a thin Householder QR reduces the matrix to its p×p triangular factor
 *   (p = min(m, n)), which ml-matrix decomposes; exact to float64 rounding.
 * - randomizedSvd: Halko–Martinsson–Tropp (2011), Algorithm 4.4 + 5.1: Gaussian sketch with
 *   oversampling, power iterations re-orthonormalized by QR after every product (so the small
 *   singular directions are not lost to rounding), then the SVD of the small B = QᵀA.
 *   Every product with the m×n matrix runs through DenseOps, i.e. on the backend when there is one.
 * - randomizedLowRank: the same algorithm for wide sketches (l ≥ GRAM_SKETCH_MIN), arranged so
 *   that nothing of size m·l or n·l is touched by JavaScript loops: orthonormalization is
 *   Cholesky QR on the float64 Gram matrix (formed by the backend), and the small SVD of
 *   B = QᵀA is the eigendecomposition of the float64 Gram B·Bᵀ. Host work is O(l³) per matrix.
 */
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import type { DenseOps } from '../contracts.js';
import { InvalidArgumentError } from '../errors.js';
import type { Rng } from '../rng.js';
import { cholesky, invertLower, symmetricEigen, symmetricEigenSmallest } from './eigen.js';
import { exactLowRank } from './exact-low-rank.js';
import { type GramOps, gramOf } from './gram.js';
import { hostDenseOps } from './host-ops.js';
import { householderQr } from './qr.js';

/** A thin SVD: A ≈ U diag(s) Vᵀ with `rank` triplets, s descending. */
export interface SvdResult {
  readonly m: number;
  readonly n: number;
  readonly rank: number;
  /** U [m, rank], row-major. */
  readonly u: Float64Array;
  /** Singular values, descending. */
  readonly s: Float64Array;
  /** V [n, rank], row-major. */
  readonly v: Float64Array;
}

export const DEFAULT_OVERSAMPLING = 10;
export const DEFAULT_POWER_ITERATIONS = 2;
/** Matrices whose smaller side is at most this many get the exact SVD (see chooseSvd). */
export const DEFAULT_EXACT_THRESHOLD = 128;
/**
 * Sketches at least this wide (rank + oversampling) take randomizedLowRank: below it the host
 * Householder QR of an m×l sketch costs little and the plain algorithm is kept.
 */
export const GRAM_SKETCH_MIN = 64;

export { type GramOps, hostGram } from './gram.js';

/** Full thin SVD (rank = min(m, n)) of the row-major m×n matrix `a`. */
export function exactSvd(a: Float32Array | Float64Array, m: number, n: number): SvdResult {
  checkMatrix(a, m, n);
  const p = Math.min(m, n);
  if (m === n) {
    const svd = mlSvd(a, m, n);
    return { m, n, rank: p, u: fromMatrix(svd.leftSingularVectors, p), s: Float64Array.from(svd.diagonal), v: fromMatrix(svd.rightSingularVectors, p) };
  }
  if (m > n) {
    // A = Q R  ⇒  A = (Q U_R) Σ V_Rᵀ
    const { q, r } = householderQr(toColumnMajor(a, m, n), m, n, true);
    const svd = mlSvd(r!, n, n);
    return { m, n, rank: p, u: combineColumns(q, m, n, svd.leftSingularVectors, p), s: Float64Array.from(svd.diagonal), v: fromMatrix(svd.rightSingularVectors, p) };
  }
  // m < n: Aᵀ = Q R  ⇒  A = Rᵀ Qᵀ = U_{Rᵀ} Σ (Q V_{Rᵀ})ᵀ. A row-major is Aᵀ column-major.
  const { q, r } = householderQr(Float64Array.from(a), n, m, true);
  const svd = mlSvd(transposeSquare(r!, m), m, m);
  return { m, n, rank: p, u: fromMatrix(svd.leftSingularVectors, p), s: Float64Array.from(svd.diagonal), v: combineColumns(q, n, m, svd.rightSingularVectors, p) };
}

export interface RandomizedSvdOptions {
  /** Source of the Gaussian sketch. */
  rng: Rng;
  /** Where the products with A run; plain loops when absent. */
  ops?: DenseOps;
  /** Extra sketch columns beyond the rank; at least 10. Default 10. */
  oversampling?: number;
  /** Power (subspace) iterations; at least 2. Default 2. */
  powerIterations?: number;
}

/** The leading `rank` singular triplets of the row-major m×n float32 matrix `a`, approximately. */
export async function randomizedSvd(
  a: Float32Array,
  m: number,
  n: number,
  rank: number,
  options: RandomizedSvdOptions,
): Promise<SvdResult> {
  checkMatrix(a, m, n);
  checkRank(rank, Math.min(m, n));
  const oversampling = checkAtLeast('oversampling', options.oversampling ?? DEFAULT_OVERSAMPLING, 10);
  const powerIterations = checkAtLeast('powerIterations', options.powerIterations ?? DEFAULT_POWER_ITERATIONS, 2);
  const ops = options.ops ?? hostDenseOps;
  const l = Math.min(rank + oversampling, m, n);

  // Products are formed transposed (Yᵀ = Ωᵀ Aᵀ, Zᵀ = Qᵀ A) so every sketch comes back row-major
  // [l, ·], which is exactly the column-major layout the QR wants: no transposes on the host.
  const omegaT = new Float32Array(l * n);
  for (let i = 0; i < omegaT.length; i++) omegaT[i] = options.rng.normal();
  let q = householderQr(Float64Array.from(await ops.matmul(omegaT, [l, n], a, [m, n], { transB: true })), m, l).q;
  for (let it = 0; it < powerIterations; it++) {
    const zT = await ops.matmul(Float32Array.from(q), [l, m], a, [m, n]);
    const qz = householderQr(Float64Array.from(zT), n, l).q;
    const yT = await ops.matmul(Float32Array.from(qz), [l, n], a, [m, n], { transB: true });
    q = householderQr(Float64Array.from(yT), m, l).q;
  }
  // B = QᵀA [l, n]; its row-major data is Bᵀ column-major. Bᵀ = Q_b R_b ⇒ B = R_bᵀ Q_bᵀ, so the
  // SVD of B needs only the SVD of the l×l matrix R_bᵀ.
  const b = await ops.matmul(Float32Array.from(q), [l, m], a, [m, n]);
  const { q: qb, r: rb } = householderQr(Float64Array.from(b), n, l, true);
  const small = mlSvd(transposeSquare(rb!, l), l, l);
  return {
    m,
    n,
    rank,
    u: combineColumns(q, m, l, small.leftSingularVectors, rank),
    s: Float64Array.from(small.diagonal.slice(0, rank)),
    v: combineColumns(qb, n, l, small.rightSingularVectors, rank),
  };
}

export type SvdChoice = 'identity' | 'exact' | 'randomized';

export interface LowRankOptions extends RandomizedSvdOptions {
  /**
   * Matrices whose smaller side p satisfies p ≤ max(exactThreshold, rank + oversampling) get the
   * exact W_r (exactLowRank): there the sketch would be (nearly) as large as the matrix, so
   * randomization saves nothing and costs accuracy. Default 128 (LIFT's recipe sets its own).
   */
  exactThreshold?: number;
}

/** Which decomposition lowRankReconstruction uses for an m×n matrix at this rank. */
export function chooseSvd(m: number, n: number, rank: number, options: Omit<LowRankOptions, 'rng' | 'ops'> = {}): SvdChoice {
  const p = Math.min(m, n);
  if (rank >= p) return 'identity';
  const threshold = options.exactThreshold ?? DEFAULT_EXACT_THRESHOLD;
  const oversampling = options.oversampling ?? DEFAULT_OVERSAMPLING;
  return p <= Math.max(threshold, rank + oversampling) ? 'exact' : 'randomized';
}

/**
 * W_r = U_r Σ_r V_rᵀ, the best rank-`rank` approximation of the row-major m×n matrix W, as float32.
 * When rank ≥ min(m, n) that is W itself (a copy).
 */
export async function lowRankReconstruction(
  w: Float32Array,
  m: number,
  n: number,
  rank: number,
  options: LowRankOptions,
): Promise<Float32Array> {
  checkMatrix(w, m, n);
  if (!Number.isInteger(rank) || rank < 1) {
    throw new InvalidArgumentError(`rank must be a positive integer; got ${rank}`, { field: 'rank', value: rank });
  }
  if (options.exactThreshold !== undefined) checkAtLeast('exactThreshold', options.exactThreshold, 0);
  const choice = chooseSvd(m, n, rank, options);
  if (choice === 'identity') return w.slice();
  // exact: the leading eigenvectors of the float64 Gram (exactLowRank), the exact SVD's W_r at a
  // fraction of a full SVD's cost
  if (choice === 'exact') return exactLowRank(w, m, n, rank, options.ops);
  if (Math.min(rank + (options.oversampling ?? DEFAULT_OVERSAMPLING), m, n) >= GRAM_SKETCH_MIN) {
    return randomizedLowRank(w, m, n, rank, options);
  }
  const svd = await randomizedSvd(w, m, n, rank, options);
  const us = new Float32Array(m * rank);
  for (let i = 0; i < m; i++) for (let j = 0; j < rank; j++) us[i * rank + j] = svd.u[i * svd.rank + j]! * svd.s[j]!;
  const v = new Float32Array(n * rank);
  for (let i = 0; i < n; i++) for (let j = 0; j < rank; j++) v[i * rank + j] = svd.v[i * svd.rank + j]!;
  return (options.ops ?? hostDenseOps).matmul(us, [m, rank], v, [n, rank], { transB: true });
}

/**
 * W_r, the rank-`rank` approximation of the row-major m×n float32 W by randomized SVD (the same
 * sketch, power iterations and Rayleigh–Ritz step as randomizedSvd), with every m·l- or
 * n·l-sized operation on DenseOps and only l×l float64 work on the host:
 *
 * - The sketch lives on the smaller side p = min(m, n) of W (so Gram matrices are l×l from
 *   [l, p] rows); Â is W or Wᵀ accordingly, through the transpose flags, never copied. Its test
 *   matrix is Rademacher (±1), 32 entries per draw of the Rng.
 * - Orthonormalization is Cholesky QR: G = Y·Yᵀ in float64, L = chol(G), Q = L⁻¹·Y. After a
 *   full power step Y = ÂÂᵀQ (one orthonormalization per step, as the condition number of
 *   Y in float64 allows); intermediate Grams are float32 products until one's Cholesky fails.
 *   The final basis gets CholeskyQR2's second pass only when the float64 Gram after the first
 *   shows it off orthonormality by more than float32 rounding (one pass usually leaves ~1e-7).
 *   A Gram that is numerically singular (W of rank below l) falls back to the
 *   eigendecomposition of G, dropping null directions.
 * - A power step Q ↦ Q·ÂÂᵀ goes through G = ÂÂᵀ [R, R], formed once, where that saves flops
 *   (gramStepsPay; `gramSteps` overrides the choice): every randomized matrix of a 135M model at
 *   the default four steps. Its sketch is then drawn on the range side and taken through G.
 * - The truncation of B = QᵀÂ [l, D] to rank r needs only the l − r eigenvectors V_d of the
 *   float64 Gram B·Bᵀ that it drops (symmetricEigenSmallest): Ŵ_r = ((I − V_d·V_dᵀ)·Q)ᵀ·B.
 */
export async function randomizedLowRank(
  w: Float32Array,
  m: number,
  n: number,
  rank: number,
  options: RandomizedSvdOptions & { gramSteps?: boolean },
): Promise<Float32Array> {
  checkMatrix(w, m, n);
  checkRank(rank, Math.min(m, n));
  const oversampling = checkAtLeast('oversampling', options.oversampling ?? DEFAULT_OVERSAMPLING, 10);
  const powerIterations = checkAtLeast('powerIterations', options.powerIterations ?? DEFAULT_POWER_ITERATIONS, 2);
  const ops = options.ops ?? hostDenseOps;
  const gram = gramOf(ops);
  // Â = W (range side m) when m ≤ n, else Wᵀ (range side n).
  const t = m > n;
  const R = t ? n : m;
  const D = t ? m : n;
  const shapeW: [number, number] = [m, n];
  /** Rows X [k, D] ↦ (Â·Xᵀ)ᵀ = X·Âᵀ [k, R]. */
  const toRange = (x: Float32Array, k: number) => ops.matmul(x, [k, D], w, shapeW, t ? {} : { transB: true });
  /** Rows Q [k, R] ↦ (Âᵀ·Qᵀ)ᵀ = Q·Â [k, D]. */
  const toDomain = (q: Float32Array, k: number) => ops.matmul(q, [k, R], w, shapeW, t ? { transB: true } : {});

  let l = Math.min(rank + oversampling, R);
  // A power step is Q ↦ Q·ÂÂᵀ. Where it costs fewer flops (gramStepsPay), G = ÂÂᵀ [R, R] is
  // formed once and each step is one l×R×R product instead of two l×R×D products (rounding
  // is of the same order: both apply ÂÂᵀ in float32). The sketch is then drawn on the range side
  // and taken through G, Y = Ω·G = (Ω·Â)·Âᵀ: a test matrix Ω·Â that already leans towards the
  // leading directions, one l×R×R product instead of an l×D×R one.
  const g = (options.gramSteps ?? gramStepsPay(R, D, l, powerIterations))
    ? await ops.matmul(w, shapeW, w, shapeW, t ? { transA: true } : { transB: true })
    : undefined;
  const omega = rademacherSketch(options.rng, l * (g ? R : D));
  const sketch = g ? await ops.matmul(omega, [l, R], g, [R, R]) : await toRange(omega, l);
  // Intermediate bases only need to be well conditioned: their Gram is a float32 product until a
  // Cholesky of one fails (the spectrum decays too fast), then the float64 Gram for the rest.
  const state = { float32Gram: true };
  let q = await orthonormalRows(ops, gram, sketch, l, R, 1, state);
  for (let it = 0; it < powerIterations; it++) {
    const y = g ? await ops.matmul(q.rows, [q.count, R], g, [R, R]) : await toRange(await toDomain(q.rows, q.count), q.count);
    const last = it === powerIterations - 1;
    q = await orthonormalRows(ops, gram, y, q.count, R, last ? 2 : 1, last ? undefined : state);
  }
  l = q.count;
  if (l === 0) return new Float32Array(m * n); // W = 0
  const b = await toDomain(q.rows, l); // B = QᵀÂ, [l, D]
  const r = Math.min(rank, l);
  // Ŵ_r = Qᵀ·P·B = (P·Q)ᵀ·B with P = I − V_d·V_dᵀ the projector that drops the l − r smallest
  // directions of B·Bᵀ (only those eigenvectors are computed); P·Q [l, R] is cheaper than
  // P·B [l, D] where R < D
  let qp = q.rows;
  if (r < l) {
    const vd = Float32Array.from(symmetricEigenSmallest(await gram(b, l, D), l, l - r).vectors); // [l − r, l]
    const proj = await ops.matmul(vd, [l - r, l], vd, [l - r, l], { transA: true }); // V_d·V_dᵀ
    for (let i = 0; i < proj.length; i++) proj[i] = -proj[i]!;
    for (let i = 0; i < l; i++) proj[i * l + i]! += 1;
    qp = await ops.matmul(proj, [l, l], q.rows, [l, R]);
  }
  return t ? ops.matmul(b, [l, D], qp, [l, R], { transA: true }) : ops.matmul(qp, [l, R], b, [l, D], { transA: true });
}

/**
 * Whether the sketch and power steps of an l-wide sketch of Â [R, D] cost fewer flops through
 * G = ÂÂᵀ: forming G costs 2·R²·D and the sketch and each step 2·l·R², against 2·l·R·D for the
 * sketch and twice that per step through Â. (Measured on the 135M shapes, G's product runs at
 * least as fast per flop as the thin ones, so flops decide.)
 */
export function gramStepsPay(R: number, D: number, l: number, steps: number): boolean {
  return R * R * D + (steps + 1) * l * R * R < (2 * steps + 1) * l * R * D;
}

/**
 * Orthonormal rows spanning the rows of Y [k, len]: up to `passes` rounds of Cholesky QR on the
 * float64 Gram; where the Gram is numerically singular, its eigendecomposition instead
 * (Q = Λ^(-1/2)·Vᵀ·Y over the directions above float32 noise), which may return fewer rows.
 * A later pass is skipped when the Gram it forms shows the rows orthonormal to float32 rounding
 * already (|QQᵀ − I| ≤ ORTHONORMAL_TOL entrywise), as one pass usually leaves them.
 * With `float32`, a pass first tries the Gram as a float32 product (a well-conditioned basis is
 * all a power iteration needs) and takes the float64 one only where its Cholesky fails; a failure
 * clears `float32.float32Gram`, so later calls go to the float64 Gram at once.
 */
async function orthonormalRows(
  ops: DenseOps,
  gram: GramOps['gram'],
  y: Float32Array,
  k: number,
  len: number,
  passes: number,
  float32?: { float32Gram: boolean },
): Promise<{ rows: Float32Array; count: number }> {
  let rows = y;
  let count = k;
  let eigenPasses = 0;
  let cholPasses = 0;
  for (let pass = 0; pass < passes && count > 0; pass++) {
    if (float32?.float32Gram && eigenPasses === 0) {
      const g32 = await ops.matmul(rows, [count, len], rows, [count, len], { transB: true });
      const L32 = cholesky(Float64Array.from(g32), count, 1e-6);
      if (L32) {
        rows = await ops.matmul(Float32Array.from(invertLower(L32, count)), [count, count], rows, [count, len]);
        cholPasses++;
        continue;
      }
      float32.float32Gram = false;
    }
    const g = await gram(rows, count, len);
    if (cholPasses > 0 && eigenPasses === 0 && nearIdentity(g, count, ORTHONORMAL_TOL)) break;
    const L = eigenPasses < 2 ? cholesky(g, count) : undefined;
    if (L) {
      rows = await ops.matmul(Float32Array.from(invertLower(L, count)), [count, count], rows, [count, len]);
      cholPasses++;
      continue;
    }
    const { values, vectors } = symmetricEigen(g, count);
    const top = values[count - 1]!;
    const keep: number[] = [];
    for (let i = count - 1; i >= 0; i--) if (values[i]! > top * 1e-12) keep.push(i);
    const tr = new Float32Array(keep.length * count);
    keep.forEach((i, o) => {
      const s = 1 / Math.sqrt(values[i]!);
      for (let j = 0; j < count; j++) tr[o * count + j] = vectors[i * count + j]! * s;
    });
    rows = keep.length ? await ops.matmul(tr, [keep.length, count], rows, [count, len]) : new Float32Array(0);
    count = keep.length;
    // the eigen route does not count as a pass: its rows are orthonormal only to the Gram's
    // conditioning, so a Cholesky pass follows
    if (eigenPasses++ < 2) pass--;
  }
  return { rows, count };
}

/**
 * A basis whose float64 Gram is within this of the identity entrywise is orthonormal to float32
 * rounding (a Cholesky pass leaves ~1e-7): a second CholeskyQR pass would not change it.
 */
const ORTHONORMAL_TOL = 1e-5;

function nearIdentity(g: Float64Array, n: number, tol: number): boolean {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) if (!(Math.abs(g[i * n + j]! - (i === j ? 1 : 0)) <= tol)) return false;
  }
  return true;
}

// ---------------------------------------------------------------- helpers

/**
 * A Rademacher test matrix (±1 entries, 32 per 32-bit draw of the run's Rng): a sub-Gaussian
 * sketch serves the randomized range finder as well as a Gaussian one (Halko–Martinsson–Tropp
 * 2011, §4.6; with power iterations the start hardly matters) at a fraction of the draws.
 */
function rademacherSketch(rng: Rng, size: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i += 32) {
    let bits = rng.nextU32();
    const end = Math.min(size, i + 32);
    for (let j = i; j < end; j++) {
      out[j] = (bits & 1) * 2 - 1;
      bits >>>= 1;
    }
  }
  return out;
}

function mlSvd(a: ArrayLike<number>, m: number, n: number): SingularValueDecomposition {
  const mat = new Matrix(m, n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) mat.set(i, j, a[i * n + j]!);
  return new SingularValueDecomposition(mat, { autoTranspose: true });
}

/** The first `cols` columns of a matrix as row-major float64. */
function fromMatrix(mat: Matrix, cols: number): Float64Array {
  const out = new Float64Array(mat.rows * cols);
  for (let i = 0; i < mat.rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = mat.get(i, j);
  return out;
}

/** Row-major [rows, cols] product Q · C[:, :cols], Q column-major [rows, l], C an l×≥cols Matrix. */
function combineColumns(q: Float64Array, rows: number, l: number, c: Matrix, cols: number): Float64Array {
  const colMajor = new Float64Array(rows * cols);
  for (let j = 0; j < cols; j++) {
    const oj = j * rows;
    for (let t = 0; t < l; t++) {
      const coef = c.get(t, j);
      const qt = t * rows;
      for (let i = 0; i < rows; i++) colMajor[oj + i]! += coef * q[qt + i]!;
    }
  }
  const out = new Float64Array(rows * cols);
  for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) out[i * cols + j] = colMajor[j * rows + i]!;
  return out;
}

function toColumnMajor(a: ArrayLike<number>, m: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j * m + i] = a[i * n + j]!;
  return out;
}

function transposeSquare(a: Float64Array, p: number): Float64Array {
  const out = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) out[j * p + i] = a[i * p + j]!;
  return out;
}

function checkMatrix(a: ArrayLike<number>, m: number, n: number): void {
  if (!Number.isInteger(m) || !Number.isInteger(n) || m < 1 || n < 1) {
    throw new InvalidArgumentError(`matrix shape must be two positive integers; got [${m}, ${n}]`, { field: 'shape' });
  }
  if (a.length !== m * n) {
    throw new InvalidArgumentError(`matrix has ${a.length} elements but shape [${m}, ${n}] needs ${m * n}`, { field: 'shape' });
  }
}

function checkRank(rank: number, p: number): void {
  if (!Number.isInteger(rank) || rank < 1 || rank > p) {
    throw new InvalidArgumentError(`rank must be an integer in [1, ${p}]; got ${rank}`, { field: 'rank', value: rank });
  }
}

function checkAtLeast(field: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidArgumentError(`${field} must be an integer ≥ ${min}; got ${value}`, { field, value });
  }
  return value;
}
