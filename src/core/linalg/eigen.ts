/**
 * Small dense float64 kernels on flat row-major arrays for the l×l problems of randomized SVD
 * (l = rank + oversampling): symmetric eigendecomposition, Cholesky and the inverse of a lower
 * triangular factor. ml-matrix's Matrix goes through get/set per element; these loops run on
 * Float64Arrays directly, which is what makes them cheap enough to call per weight matrix.
 */

export interface SymmetricEigen {
  /** Eigenvalues, ascending. */
  values: Float64Array;
  /** Eigenvectors as rows: row i (vectors[i*n .. (i+1)*n)) belongs to values[i]. */
  vectors: Float64Array;
}

/**
 * Eigendecomposition of the symmetric n×n row-major matrix `a` (only its values are read; it is
 * not modified): Householder tridiagonalization and the implicit QL algorithm (EISPACK tred2 and
 * tql2, as JAMA and ml-matrix implement them), to float64 rounding.
 */
export function symmetricEigen(a: Float64Array, n: number): SymmetricEigen {
  // v[i*n + j] is V[i][j]; tred2 works on V, then V is transposed so that tql2's rotations (of
  // two columns of V) touch two contiguous rows.
  const v = Float64Array.from(a.subarray(0, n * n));
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tred2(v, d, e, n);
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) w[j * n + i] = v[i * n + j]!;
  tql2(w, d, e, n);
  return { values: d, vectors: w };
}

function tred2(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k]! /= scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        V[j * n + i] = f;
        g = e[j]! + V[j * n + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j]! * d[k]!;
          e[k]! += V[k * n + j]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j]! /= h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j]! -= hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) V[k * n + j]! -= f * e[k]! + g * d[k]!;
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  // accumulate the transformations
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i]!;
    V[i * n + i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1]! * V[k * n + j]!;
        for (let k = 0; k <= i; k++) V[k * n + j]! -= g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j]!;
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/**
 * The implicit QL iterations of tql1/tql2 on the tridiagonal (d, e), e[i] coupling i and i+1 and
 * e[n − 1] = 0: d ends holding the eigenvalues (unsorted), e is overwritten. With W, every plane
 * rotation is also applied to W's rows (tql2: W = Vᵀ accumulates the eigenvectors). Returns false
 * when some eigenvalue took more than maxIter iterations (then d is not final).
 */
function implicitQl(d: Float64Array, e: Float64Array, n: number, W?: Float64Array, maxIter = Infinity): boolean {
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]!) > eps * tst1) m++;
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > maxIter) return false;
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i]! -= h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          if (W) {
            const ri = i * n;
            const ri1 = (i + 1) * n;
            for (let k = 0; k < n; k++) {
              const hk = W[ri1 + k]!;
              const wk = W[ri + k]!;
              W[ri1 + k] = s * wk + c * hk;
              W[ri + k] = c * wk - s * hk;
            }
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
  return true;
}

/** tql2 on W = Vᵀ: column c of V is row c of W. */
function tql2(W: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  implicitQl(d, e, n, W);
  // selection sort, ascending, moving rows of W along
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = d[i]!;
    for (let j = i + 1; j < n; j++) {
      if (d[j]! < p) {
        k = j;
        p = d[j]!;
      }
    }
    if (k !== i) {
      d[k] = d[i]!;
      d[i] = p;
      for (let j = 0; j < n; j++) {
        const t = W[i * n + j]!;
        W[i * n + j] = W[k * n + j]!;
        W[k * n + j] = t;
      }
    }
  }
}

function hypot(a: number, b: number): number {
  const x = Math.abs(a);
  const y = Math.abs(b);
  if (x > y) {
    const r = y / x;
    return x * Math.sqrt(1 + r * r);
  }
  if (y === 0) return 0;
  const r = x / y;
  return y * Math.sqrt(1 + r * r);
}

/**
 * Lower Cholesky factor L of the symmetric positive definite n×n row-major matrix `c`
 * (C = L·Lᵀ), or undefined when a pivot is not above `relTol` times the largest diagonal entry
 * (C numerically singular).
 */
export function cholesky(c: Float64Array, n: number, relTol = 1e-13): Float64Array | undefined {
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, c[i * n + i]!);
  if (!(maxDiag > 0)) return undefined;
  const floor = relTol * maxDiag;
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let s = c[rj + j]!;
    for (let k = 0; k < j; k++) s -= L[rj + k]! * L[rj + k]!;
    if (!(s > floor)) return undefined;
    const ljj = Math.sqrt(s);
    L[rj + j] = ljj;
    const inv = 1 / ljj;
    // two rows at a time share the loads of row j; two partial sums each (the loop is bound by
    // loads and add latency, not by the multiplies)
    let i = j + 1;
    for (; i + 1 < n; i += 2) {
      const ra = i * n;
      const rb = ra + n;
      let a0 = c[ra + j]!;
      let a1 = 0;
      let b0 = c[rb + j]!;
      let b1 = 0;
      let k = 0;
      for (; k + 1 < j; k += 2) {
        const x0 = L[rj + k]!;
        const x1 = L[rj + k + 1]!;
        a0 -= L[ra + k]! * x0;
        a1 -= L[ra + k + 1]! * x1;
        b0 -= L[rb + k]! * x0;
        b1 -= L[rb + k + 1]! * x1;
      }
      if (k < j) {
        const x0 = L[rj + k]!;
        a0 -= L[ra + k]! * x0;
        b0 -= L[rb + k]! * x0;
      }
      L[ra + j] = (a0 + a1) * inv;
      L[rb + j] = (b0 + b1) * inv;
    }
    if (i < n) {
      const ra = i * n;
      let a0 = c[ra + j]!;
      let a1 = 0;
      let k = 0;
      for (; k + 1 < j; k += 2) {
        a0 -= L[ra + k]! * L[rj + k]!;
        a1 -= L[ra + k + 1]! * L[rj + k + 1]!;
      }
      if (k < j) a0 -= L[ra + k]! * L[rj + k]!;
      L[ra + j] = (a0 + a1) * inv;
    }
  }
  return L;
}

/** The inverse of the n×n lower triangular row-major L (itself lower triangular). */
export function invertLower(L: Float64Array, n: number): Float64Array {
  // Columns j and j+1 of X = L⁻¹ at once by forward substitution L·x = e_j, L·y = e_{j+1} into
  // contiguous work vectors: each row of L is loaded once for both inner products.
  const X = new Float64Array(n * n);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  let j = 0;
  for (; j + 1 < n; j += 2) {
    const r1 = (j + 1) * n;
    x[j] = 1 / L[j * n + j]!;
    y[j] = 0;
    x[j + 1] = -(L[r1 + j]! * x[j]!) / L[r1 + j + 1]!;
    y[j + 1] = 1 / L[r1 + j + 1]!;
    for (let i = j + 2; i < n; i++) {
      const ri = i * n;
      let s0 = 0;
      let s1 = 0;
      let t0 = 0;
      let t1 = 0;
      let k = j;
      for (; k + 1 < i; k += 2) {
        const l0 = L[ri + k]!;
        const l1 = L[ri + k + 1]!;
        s0 += l0 * x[k]!;
        s1 += l1 * x[k + 1]!;
        t0 += l0 * y[k]!;
        t1 += l1 * y[k + 1]!;
      }
      if (k < i) {
        const l0 = L[ri + k]!;
        s0 += l0 * x[k]!;
        t0 += l0 * y[k]!;
      }
      const d = 1 / L[ri + i]!;
      x[i] = -(s0 + s1) * d;
      y[i] = -(t0 + t1) * d;
    }
    for (let i = j; i < n; i++) {
      X[i * n + j] = x[i]!;
      X[i * n + j + 1] = y[i]!;
    }
  }
  if (j < n) X[j * n + j] = 1 / L[j * n + j]!;
  return X;
}

/**
 * The `count` smallest eigenpairs of the symmetric n×n row-major matrix `a` (not modified), for
 * when few are needed (randomized SVD needs the l − r directions it drops): Householder
 * tridiagonalization (2n³ flops, no accumulation of Q), all eigenvalues of the tridiagonal matrix
 * by implicit QL without vectors (O(n²); Sturm-sequence bisection as the fall-back), eigenvectors
 * by inverse iteration (orthogonalized within clusters of close eigenvalues), transformed back
 * through the stored reflectors. About a sixth of symmetricEigen's work when count ≪ n.
 */
export function symmetricEigenSmallest(a: Float64Array, n: number, count: number): SymmetricEigen {
  const k = Math.max(0, Math.min(count, n));
  const w = Float64Array.from(a.subarray(0, n * n));
  const d = new Float64Array(n);
  const e = new Float64Array(n); // e[i] couples i and i+1
  const reflectors: { v: Float64Array; tau: number }[] = [];
  const p = new Float64Array(n);
  for (let c = 0; c < n - 2; c++) {
    const m = n - c - 1;
    const rc = c * n;
    // x = A[c+1.., c], column c below the diagonal (only the lower triangle is kept current)
    const v = new Float64Array(m);
    let norm = 0;
    for (let i = 0; i < m; i++) {
      v[i] = w[(c + 1 + i) * n + c]!;
      norm += v[i]! * v[i]!;
    }
    norm = Math.sqrt(norm);
    d[c] = w[rc + c]!;
    if (norm === 0) {
      e[c] = 0;
      reflectors.push({ v, tau: 0 });
      continue;
    }
    const alpha = v[0]! >= 0 ? -norm : norm;
    v[0]! -= alpha;
    let vv = 0;
    for (let i = 0; i < m; i++) vv += v[i]! * v[i]!;
    const tau = vv > 0 ? 2 / vv : 0;
    e[c] = alpha;
    reflectors.push({ v, tau });
    if (tau === 0) continue;
    // trailing block A2 = A[c+1.., c+1..]: A2 ← H·A2·H with H = I − τ·v·vᵀ, kept in its lower
    // triangle (row i, columns ≤ i; every row access contiguous): p = τ·A2·v, then the
    // symmetric rank-2 update A2 −= v·wᵀ + w·vᵀ with w = p − (τ/2)(pᵀv)·v
    const off = c + 1;
    p.fill(0, 0, m);
    for (let i = 0; i < m; i++) {
      const ri = (off + i) * n + off;
      const vi = v[i]!;
      let s0 = w[ri + i]! * vi;
      let s1 = 0;
      let j = 0;
      for (; j + 1 < i; j += 2) {
        const a0 = w[ri + j]!;
        const a1 = w[ri + j + 1]!;
        s0 += a0 * v[j]!;
        s1 += a1 * v[j + 1]!;
        p[j]! += a0 * vi;
        p[j + 1]! += a1 * vi;
      }
      for (; j < i; j++) {
        const aij = w[ri + j]!;
        s0 += aij * v[j]!;
        p[j]! += aij * vi;
      }
      p[i]! += s0 + s1;
    }
    let pv = 0;
    for (let i = 0; i < m; i++) {
      p[i]! *= tau;
      pv += p[i]! * v[i]!;
    }
    const half = (tau / 2) * pv;
    for (let i = 0; i < m; i++) p[i]! -= half * v[i]!;
    for (let i = 0; i < m; i++) {
      const ri = (off + i) * n + off;
      const vi = v[i]!;
      const pi = p[i]!;
      for (let j = 0; j <= i; j++) w[ri + j]! -= vi * p[j]! + pi * v[j]!;
    }
  }
  if (n >= 2) {
    d[n - 2] = w[(n - 2) * n + n - 2]!;
    e[n - 2] = w[(n - 1) * n + n - 2]!; // lower triangle
  }
  if (n >= 1) d[n - 1] = w[(n - 1) * n + n - 1]!;

  const values = tridiagonalEigenvalues(d, e, n, k);
  // Inverse iteration keeps a vector orthogonal only to those of its cluster (eigenvalues chained
  // by gaps ≤ 1e-3·‖T‖, LAPACK dstein's criterion): beyond it, the vectors are orthogonal to
  // ~ε·‖T‖/gap ≤ 1e-12 by themselves.
  let tnorm = 0;
  for (let i = 0; i < n; i++) tnorm = Math.max(tnorm, Math.abs(d[i]!) + (i > 0 ? Math.abs(e[i - 1]!) : 0) + (i < n - 1 ? Math.abs(e[i]!) : 0));
  const ortol = 1e-3 * tnorm;
  const cluster = new Int32Array(k); // index of the first vector of j's cluster
  for (let j = 1; j < k; j++) cluster[j] = values[j]! - values[j - 1]! <= ortol ? cluster[j - 1]! : j;
  const vectors = new Float64Array(k * n);
  const work = inverseIterationWork(n);
  for (let j = 0; j < k; j++) inverseIteration(d, e, n, values[j]!, vectors, j, cluster[j]!, work);
  // back through the reflectors, all vectors at once: x = H_0 ⋯ H_{n−3} z
  for (let c = reflectors.length - 1; c >= 0; c--) {
    const { v, tau } = reflectors[c]!;
    if (tau === 0) continue;
    const len = v.length;
    for (let j = 0; j < k; j++) {
      const o = j * n + c + 1;
      let s0 = 0;
      let s1 = 0;
      let i = 0;
      for (; i + 1 < len; i += 2) {
        s0 += v[i]! * vectors[o + i]!;
        s1 += v[i + 1]! * vectors[o + i + 1]!;
      }
      if (i < len) s0 += v[i]! * vectors[o + i]!;
      const sc = (s0 + s1) * tau;
      for (i = 0; i < len; i++) vectors[o + i]! -= sc * v[i]!;
    }
  }
  // the back-transformed vectors inherit the tridiagonal ones' orthogonality; one Gram–Schmidt
  // sweep within each cluster removes what inverse iteration left between close eigenvalues
  for (let j = 0; j < k; j++) {
    const rj = j * n;
    for (let i = cluster[j]!; i < j; i++) {
      const ri = i * n;
      let dot = 0;
      for (let t = 0; t < n; t++) dot += vectors[ri + t]! * vectors[rj + t]!;
      for (let t = 0; t < n; t++) vectors[rj + t]! -= dot * vectors[ri + t]!;
    }
    let nrm = 0;
    for (let t = 0; t < n; t++) nrm += vectors[rj + t]! ** 2;
    nrm = Math.sqrt(nrm);
    for (let t = 0; t < n; t++) vectors[rj + t]! /= nrm;
  }
  return { values, vectors };
}

/**
 * The `count` smallest eigenvalues (ascending) of the symmetric tridiagonal (d, e) (e[i] couples
 * i and i+1; neither is modified): all n by the implicit QL algorithm without vectors (tql1,
 * O(n²)), which also bounds their absolute error by ~ε·‖T‖ as bisection does; bisection for each
 * in the (never seen) case that QL does not converge.
 */
function tridiagonalEigenvalues(d0: Float64Array, e0: Float64Array, n: number, count: number): Float64Array {
  const d = Float64Array.from(d0.subarray(0, n));
  const e = new Float64Array(n);
  for (let i = 0; i < n - 1; i++) e[i] = e0[i]!;
  const converged = implicitQl(d, e, n, undefined, 60);
  const k = Math.max(0, Math.min(count, n));
  if (!converged || !d.every(Number.isFinite)) {
    const values = new Float64Array(k);
    for (let j = 0; j < k; j++) values[j] = tridiagonalEigenvalue(d0, e0, n, j);
    return values;
  }
  d.sort();
  return d.slice(0, k);
}

/** Eigenvalues of the tridiagonal (d, e) below x (the Sturm sequence count). */
function countBelow(d: Float64Array, e: Float64Array, n: number, x: number, tiny: number): number {
  let count = 0;
  let q = d[0]! - x;
  if (q === 0) q = -tiny;
  if (q < 0) count++;
  for (let i = 1; i < n; i++) {
    q = d[i]! - x - (e[i - 1]! * e[i - 1]!) / q;
    if (q === 0) q = -tiny;
    if (q < 0) count++;
  }
  return count;
}

/** The j-th smallest (0-based) eigenvalue of the tridiagonal (d, e), by bisection. */
function tridiagonalEigenvalue(d: Float64Array, e: Float64Array, n: number, j: number): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const r = (i > 0 ? Math.abs(e[i - 1]!) : 0) + (i < n - 1 ? Math.abs(e[i]!) : 0);
    lo = Math.min(lo, d[i]! - r);
    hi = Math.max(hi, d[i]! + r);
  }
  const scale = Math.max(Math.abs(lo), Math.abs(hi));
  const tiny = Number.MIN_VALUE / Number.EPSILON + scale * 1e-300;
  for (let it = 0; it < 200 && hi - lo > 2 * Number.EPSILON * Math.max(Math.abs(lo), Math.abs(hi), scale * 1e-30); it++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (countBelow(d, e, n, mid, tiny) > j) hi = mid;
    else lo = mid;
  }
  return (lo + hi) / 2;
}

interface InverseIterationWork {
  u0: Float64Array;
  u1: Float64Array;
  u2: Float64Array;
  l: Float64Array;
  swapped: Uint8Array;
}

function inverseIterationWork(n: number): InverseIterationWork {
  return { u0: new Float64Array(n), u1: new Float64Array(n), u2: new Float64Array(n), l: new Float64Array(n), swapped: new Uint8Array(n) };
}

/**
 * Eigenvector of the tridiagonal (d, e) for the eigenvalue λ into row j of `vectors`: three
 * solves of (T − λI)·z = z by elimination with partial pivoting, each orthogonalized against the
 * rows `from` … j − 1 found before (its cluster).
 */
function inverseIteration(
  d: Float64Array,
  e: Float64Array,
  n: number,
  lambda: number,
  vectors: Float64Array,
  j: number,
  from: number,
  work: InverseIterationWork,
): void {
  let norm = 0;
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(d[i]!) + (i > 0 ? Math.abs(e[i - 1]!) : 0) + (i < n - 1 ? Math.abs(e[i]!) : 0));
  const pivotFloor = Math.max(norm, Number.MIN_VALUE) * Number.EPSILON;
  // LU of T − λI with partial pivoting: U has diagonals u0, u1, u2; l holds the multipliers
  const { u0, u1, u2, l, swapped } = work;
  swapped.fill(0);
  for (let i = 0; i < n; i++) {
    u0[i] = d[i]! - lambda;
    u1[i] = i < n - 1 ? e[i]! : 0;
    u2[i] = 0;
  }
  for (let i = 0; i < n - 1; i++) {
    const sub = e[i]!; // below the diagonal in row i+1
    if (Math.abs(u0[i]!) >= Math.abs(sub)) {
      if (u0[i] === 0) u0[i] = pivotFloor;
      const f = sub / u0[i]!;
      l[i] = f;
      u0[i + 1]! -= f * u1[i]!;
      // u1[i+1] stays; u2[i] = 0
    } else {
      // swap rows i and i+1
      swapped[i] = 1;
      const f = u0[i]! / sub;
      l[i] = f;
      const a0 = u1[i]!; // old row i: [u0, u1, 0]
      const b1 = u0[i + 1]!; // old row i+1: [sub, b1, b2]
      const b2 = i + 1 < n - 1 ? u1[i + 1]! : 0;
      u0[i] = sub;
      u1[i] = b1;
      u2[i] = b2;
      u0[i + 1] = a0 - f * b1;
      if (i + 1 < n - 1) u1[i + 1] = -f * b2;
    }
  }
  if (Math.abs(u0[n - 1]!) < pivotFloor) u0[n - 1] = pivotFloor;
  const z = vectors.subarray(j * n, (j + 1) * n);
  for (let i = 0; i < n; i++) z[i] = 1 / Math.sqrt(n) + ((i * 0.6180339887) % 1) * 1e-3;
  for (let iter = 0; iter < 3; iter++) {
    // forward: apply the row swaps and multipliers
    for (let i = 0; i < n - 1; i++) {
      if (swapped[i]) {
        const t = z[i]!;
        z[i] = z[i + 1]!;
        z[i + 1] = t - l[i]! * z[i]!;
      } else {
        z[i + 1]! -= l[i]! * z[i]!;
      }
    }
    // back substitution with U
    for (let i = n - 1; i >= 0; i--) {
      let s = z[i]!;
      if (i + 1 < n) s -= u1[i]! * z[i + 1]!;
      if (i + 2 < n) s -= u2[i]! * z[i + 2]!;
      const piv = Math.abs(u0[i]!) < pivotFloor ? (u0[i]! < 0 ? -pivotFloor : pivotFloor) : u0[i]!;
      z[i] = s / piv;
    }
    for (let b = from; b < j; b++) {
      const ob = b * n;
      let dot = 0;
      for (let i = 0; i < n; i++) dot += vectors[ob + i]! * z[i]!;
      for (let i = 0; i < n; i++) z[i]! -= dot * vectors[ob + i]!;
    }
    let nrm = 0;
    for (let i = 0; i < n; i++) nrm += z[i]! * z[i]!;
    nrm = Math.sqrt(nrm);
    if (!(nrm > 0)) {
      z.fill(0);
      z[j % n] = 1;
      nrm = 1;
    }
    for (let i = 0; i < n; i++) z[i]! /= nrm;
  }
}
