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
  // Columns j and j+1 at once, two rows a, b at a time: each inner step loads two entries of rows
  // j, j+1, a and b for eight products. Each entry is summed as a column at a time would sum it
  // (even and odd k in two partial sums; in column j+1 the k = j term last, into the even one),
  // so L is the same to the bit, and so is which pivot fails.
  let j = 0;
  for (; j + 1 < n; j += 2) {
    const rj = j * n;
    const rk = rj + n; // row j+1
    let s = c[rj + j]!;
    for (let k = 0; k < j; k++) s -= L[rj + k]! * L[rj + k]!;
    if (!(s > floor)) return undefined;
    const ljj = Math.sqrt(s);
    L[rj + j] = ljj;
    const inv = 1 / ljj;
    let a0 = c[rk + j]!;
    let a1 = 0;
    for (let k = 0; k + 1 < j; k += 2) {
      a0 -= L[rk + k]! * L[rj + k]!;
      a1 -= L[rk + k + 1]! * L[rj + k + 1]!;
    }
    const lkj = (a0 + a1) * inv;
    L[rk + j] = lkj;
    let s1 = c[rk + j + 1]!;
    for (let k = 0; k <= j; k++) s1 -= L[rk + k]! * L[rk + k]!;
    if (!(s1 > floor)) return undefined;
    const lkk = Math.sqrt(s1);
    L[rk + j + 1] = lkk;
    const inv1 = 1 / lkk;
    let i = j + 2;
    for (; i + 1 < n; i += 2) {
      const ra = i * n;
      const rb = ra + n;
      let a0 = c[ra + j]!;
      let a1 = 0;
      let b0 = c[rb + j]!;
      let b1 = 0;
      let e0 = c[ra + j + 1]!;
      let e1 = 0;
      let f0 = c[rb + j + 1]!;
      let f1 = 0;
      for (let k = 0; k + 1 < j; k += 2) {
        const x0 = L[rj + k]!;
        const x1 = L[rj + k + 1]!;
        const y0 = L[rk + k]!;
        const y1 = L[rk + k + 1]!;
        const la0 = L[ra + k]!;
        const la1 = L[ra + k + 1]!;
        const lb0 = L[rb + k]!;
        const lb1 = L[rb + k + 1]!;
        a0 -= la0 * x0;
        a1 -= la1 * x1;
        b0 -= lb0 * x0;
        b1 -= lb1 * x1;
        e0 -= la0 * y0;
        e1 -= la1 * y1;
        f0 -= lb0 * y0;
        f1 -= lb1 * y1;
      }
      const laj = (a0 + a1) * inv;
      const lbj = (b0 + b1) * inv;
      L[ra + j] = laj;
      L[rb + j] = lbj;
      e0 -= laj * lkj;
      f0 -= lbj * lkj;
      L[ra + j + 1] = (e0 + e1) * inv1;
      L[rb + j + 1] = (f0 + f1) * inv1;
    }
    if (i < n) {
      const ra = i * n;
      let a0 = c[ra + j]!;
      let a1 = 0;
      let e0 = c[ra + j + 1]!;
      let e1 = 0;
      for (let k = 0; k + 1 < j; k += 2) {
        const la0 = L[ra + k]!;
        const la1 = L[ra + k + 1]!;
        a0 -= la0 * L[rj + k]!;
        a1 -= la1 * L[rj + k + 1]!;
        e0 -= la0 * L[rk + k]!;
        e1 -= la1 * L[rk + k + 1]!;
      }
      const laj = (a0 + a1) * inv;
      L[ra + j] = laj;
      e0 -= laj * lkj;
      L[ra + j + 1] = (e0 + e1) * inv1;
    }
  }
  if (j < n) {
    const rj = j * n;
    let s = c[rj + j]!;
    for (let k = 0; k < j; k++) s -= L[rj + k]! * L[rj + k]!;
    if (!(s > floor)) return undefined;
    L[rj + j] = Math.sqrt(s);
  }
  return L;
}

/** The inverse of the n×n lower triangular row-major L (itself lower triangular). */
export function invertLower(L: Float64Array, n: number): Float64Array {
  // Columns j and j+1 of X = L⁻¹ at once by forward substitution L·x = e_j, L·y = e_{j+1} into
  // contiguous work vectors, two rows a, b = a+1 at a time: each inner step loads two entries of
  // x, y, row a and row b for eight products. Row b's last terms wait for x[a], y[a]; every sum
  // is the one a row at a time would form (even and odd k in two partial sums), to the bit.
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
    let i = j + 2;
    for (; i + 1 < n; i += 2) {
      const ra = i * n;
      const rb = ra + n;
      let s0 = 0;
      let s1 = 0;
      let t0 = 0;
      let t1 = 0;
      let u0 = 0;
      let u1 = 0;
      let v0 = 0;
      let v1 = 0;
      let k = j;
      for (; k + 1 < i; k += 2) {
        const x0 = x[k]!;
        const x1 = x[k + 1]!;
        const y0 = y[k]!;
        const y1 = y[k + 1]!;
        const a0 = L[ra + k]!;
        const a1 = L[ra + k + 1]!;
        const b0 = L[rb + k]!;
        const b1 = L[rb + k + 1]!;
        s0 += a0 * x0;
        s1 += a1 * x1;
        t0 += a0 * y0;
        t1 += a1 * y1;
        u0 += b0 * x0;
        u1 += b1 * x1;
        v0 += b0 * y0;
        v1 += b1 * y1;
      }
      if (k < i) {
        // k = i − 1: row a's last term; row b's last pair (i − 1, i)
        const a0 = L[ra + k]!;
        s0 += a0 * x[k]!;
        t0 += a0 * y[k]!;
        const da = 1 / L[ra + i]!;
        const xi = -(s0 + s1) * da;
        const yi = -(t0 + t1) * da;
        x[i] = xi;
        y[i] = yi;
        const b0 = L[rb + k]!;
        const b1 = L[rb + i]!;
        u0 += b0 * x[k]!;
        u1 += b1 * xi;
        v0 += b0 * y[k]!;
        v1 += b1 * yi;
      } else {
        // k = i: row b's last term
        const da = 1 / L[ra + i]!;
        const xi = -(s0 + s1) * da;
        const yi = -(t0 + t1) * da;
        x[i] = xi;
        y[i] = yi;
        const b0 = L[rb + i]!;
        u0 += b0 * xi;
        v0 += b0 * yi;
      }
      const db = 1 / L[rb + i + 1]!;
      x[i + 1] = -(u0 + u1) * db;
      y[i + 1] = -(v0 + v1) * db;
    }
    if (i < n) {
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
    for (let r = j; r < n; r++) {
      X[r * n + j] = x[r]!;
      X[r * n + j + 1] = y[r]!;
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
  const nr = Math.max(0, n - 2);
  // reflector c (H_c = I − τ_c·v·vᵀ) as row c of R: v at columns c+1 … n−1, zeros before
  const R = new Float64Array(nr * n);
  const taus = new Float64Array(nr);
  tridiagonalize(w, n, d, e, R, taus);
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
  for (let j = 0; j < k; j++) inverseIteration(d, e, n, tnorm, values[j]!, vectors, j, cluster[j]!, work);
  // back through the reflectors, all vectors at once: x = H_0 ⋯ H_{n−3} z
  backTransform(R, taus, nr, vectors, k, n);
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
 * Householder reflector for column c of the lower triangle of w (rows c+1 … n−1), written into
 * row c of R (see symmetricEigenSmallest); sets d[c] and e[c] and returns τ (0: nothing to reflect).
 */
function householderColumn(w: Float64Array, n: number, c: number, d: Float64Array, e: Float64Array, R: Float64Array, taus: Float64Array): number {
  const rc = c * n;
  let norm = 0;
  for (let i = c + 1; i < n; i++) {
    const x = w[i * n + c]!;
    R[rc + i] = x;
    norm += x * x;
  }
  norm = Math.sqrt(norm);
  d[c] = w[rc + c]!;
  if (norm === 0) {
    e[c] = 0;
    taus[c] = 0;
    return 0;
  }
  const alpha = R[rc + c + 1]! >= 0 ? -norm : norm;
  R[rc + c + 1]! -= alpha;
  let vv = 0;
  for (let i = c + 1; i < n; i++) vv += R[rc + i]! * R[rc + i]!;
  const tau = vv > 0 ? 2 / vv : 0;
  e[c] = alpha;
  taus[c] = tau;
  return tau;
}

/**
 * Householder tridiagonalization of the symmetric w (lower triangle read and kept current; every
 * row access contiguous): diagonal into d, off-diagonal into e[0 … n−3] (the caller reads the last
 * 2×2 block), reflectors into R and taus. Step c transforms the trailing block A2 = A[c+1.., c+1..]
 * to H·A2·H with H = I − τ·v·vᵀ: p = τ·A2·v, q = p − (τ/2)(pᵀv)·v, A2 −= v·qᵀ + q·vᵀ. The rank-2
 * update of step c and the product A2'·v' of step c+1 run as one pass over A2: A2's first column
 * is updated first, which gives v', then each updated entry of A2' goes straight into A2'·v'.
 */
function tridiagonalize(w: Float64Array, n: number, d: Float64Array, e: Float64Array, R: Float64Array, taus: Float64Array): void {
  if (n < 3) return;
  // q and p are indexed by absolute column (entries c+1 … n−1 used at step c)
  let q = new Float64Array(n);
  let p = new Float64Array(n);
  let pReady = false; // p holds A2·v for this step (from the previous step's fused pass)
  let tau = householderColumn(w, n, 0, d, e, R, taus);
  for (let c = 0; c < n - 2; c++) {
    const off = c + 1;
    const rc = c * n;
    const next = c + 1 < n - 2;
    if (tau === 0) {
      pReady = false;
      if (next) tau = householderColumn(w, n, c + 1, d, e, R, taus);
      continue;
    }
    if (pReady) {
      const t = q;
      q = p;
      p = t;
    } else {
      lowerSymv(w, n, off, R, rc, q);
    }
    let pv = 0;
    for (let i = off; i < n; i++) {
      q[i]! *= tau;
      pv += q[i]! * R[rc + i]!;
    }
    const half = (tau / 2) * pv;
    for (let i = off; i < n; i++) q[i]! -= half * R[rc + i]!;
    // A2's first column (column off, rows off … n−1), then the next reflector from it
    const v0 = R[rc + off]!;
    const q0 = q[off]!;
    for (let i = off; i < n; i++) w[i * n + off]! -= R[rc + i]! * q0 + q[i]! * v0;
    const tauNext = next ? householderColumn(w, n, off, d, e, R, taus) : 0;
    if (tauNext !== 0) {
      p.fill(0, off + 1, n);
      fusedUpdateSymv(w, n, off, R, rc, q, p);
      pReady = true;
    } else {
      pReady = false;
      for (let i = off + 1; i < n; i++) {
        const ri = i * n;
        const vi = R[rc + i]!;
        const qi = q[i]!;
        for (let j = off + 1; j <= i; j++) w[ri + j]! -= vi * q[j]! + qi * R[rc + j]!;
      }
    }
    tau = tauNext;
  }
}

/** out[off … n−1] = A2·v for the lower triangle of A2 = w[off.., off..] and v = R[rv + off …]. */
function lowerSymv(w: Float64Array, n: number, off: number, R: Float64Array, rv: number, out: Float64Array): void {
  out.fill(0, off, n);
  for (let i = off; i < n; i++) {
    const ri = i * n;
    const vi = R[rv + i]!;
    let s0 = w[ri + i]! * vi;
    let s1 = 0;
    let j = off;
    for (; j + 1 < i; j += 2) {
      const a0 = w[ri + j]!;
      const a1 = w[ri + j + 1]!;
      s0 += a0 * R[rv + j]!;
      s1 += a1 * R[rv + j + 1]!;
      out[j]! += a0 * vi;
      out[j + 1]! += a1 * vi;
    }
    for (; j < i; j++) {
      const aij = w[ri + j]!;
      s0 += aij * R[rv + j]!;
      out[j]! += aij * vi;
    }
    out[i]! += s0 + s1;
  }
}

/**
 * Rows and columns off+1 … n−1 of the lower triangle: w −= v·qᵀ + q·vᵀ (v = R's row at rc), and
 * p += the updated block times v' (R's next row). Four rows at a time, which share the loads of
 * v, q, v' and p; their 4×4 diagonal block, and the last rows, one row at a time.
 */
function fusedUpdateSymv(w: Float64Array, n: number, off: number, R: Float64Array, rc: number, q: Float64Array, p: Float64Array): void {
  const rn = rc + n;
  const lo = off + 1;
  let i = lo;
  for (; i + 3 < n; i += 4) {
    const r0 = i * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    const v0 = R[rc + i]!;
    const v1 = R[rc + i + 1]!;
    const v2 = R[rc + i + 2]!;
    const v3 = R[rc + i + 3]!;
    const q0 = q[i]!;
    const q1 = q[i + 1]!;
    const q2 = q[i + 2]!;
    const q3 = q[i + 3]!;
    const u0 = R[rn + i]!;
    const u1 = R[rn + i + 1]!;
    const u2 = R[rn + i + 2]!;
    const u3 = R[rn + i + 3]!;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = lo; j < i; j++) {
      const vj = R[rc + j]!;
      const qj = q[j]!;
      const uj = R[rn + j]!;
      const x0 = w[r0 + j]! - (v0 * qj + q0 * vj);
      const x1 = w[r1 + j]! - (v1 * qj + q1 * vj);
      const x2 = w[r2 + j]! - (v2 * qj + q2 * vj);
      const x3 = w[r3 + j]! - (v3 * qj + q3 * vj);
      w[r0 + j] = x0;
      w[r1 + j] = x1;
      w[r2 + j] = x2;
      w[r3 + j] = x3;
      s0 += x0 * uj;
      s1 += x1 * uj;
      s2 += x2 * uj;
      s3 += x3 * uj;
      p[j]! += x0 * u0 + x1 * u1 + x2 * u2 + x3 * u3;
    }
    p[i]! += s0;
    p[i + 1]! += s1;
    p[i + 2]! += s2;
    p[i + 3]! += s3;
    for (let a = i; a < i + 4; a++) updateSymvRow(w, n, a, i, R, rc, q, p);
  }
  for (; i < n; i++) updateSymvRow(w, n, i, lo, R, rc, q, p);
}

/** Row i, columns from … i, of fusedUpdateSymv. */
function updateSymvRow(w: Float64Array, n: number, i: number, from: number, R: Float64Array, rc: number, q: Float64Array, p: Float64Array): void {
  const rn = rc + n;
  const ri = i * n;
  const vi = R[rc + i]!;
  const qi = q[i]!;
  const ui = R[rn + i]!;
  let s = 0;
  for (let j = from; j < i; j++) {
    const x = w[ri + j]! - (vi * q[j]! + qi * R[rc + j]!);
    w[ri + j] = x;
    s += x * R[rn + j]!;
    p[j]! += x * ui;
  }
  const x = w[ri + i]! - (vi * qi + qi * vi);
  w[ri + i] = x;
  p[i]! += s + x * ui;
}

/**
 * vectors (k rows of length n) ← H_0 ⋯ H_{nr−1}·vectors, four reflectors and two vectors at a
 * time: for a block H_a ⋯ H_{a+3} and a vector z, the dots s_t = v_tᵀz in one pass, then the
 * coefficients c_t = τ_t·(s_t − Σ_{u>t} c_u·v_tᵀv_u) (H_{a+3} applies first), then z −= Σ c_t·v_t
 * in one pass (the compact WY form of the block, with the Gram of its reflectors in place of T).
 */
function backTransform(R: Float64Array, taus: Float64Array, nr: number, vectors: Float64Array, k: number, n: number): void {
  let b = nr;
  for (; b >= 4; b -= 4) {
    const a = b - 4;
    const r0 = a * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    const t0 = taus[a]!;
    const t1 = taus[a + 1]!;
    const t2 = taus[a + 2]!;
    const t3 = taus[a + 3]!;
    if (t0 === 0 && t1 === 0 && t2 === 0 && t3 === 0) continue;
    const lo = a + 1; // reflector a + t is zero before column a + t + 1
    let g01 = 0;
    let g02 = 0;
    let g03 = 0;
    let g12 = 0;
    let g13 = 0;
    let g23 = 0;
    for (let i = lo; i < n; i++) {
      const x0 = R[r0 + i]!;
      const x1 = R[r1 + i]!;
      const x2 = R[r2 + i]!;
      const x3 = R[r3 + i]!;
      g01 += x0 * x1;
      g02 += x0 * x2;
      g03 += x0 * x3;
      g12 += x1 * x2;
      g13 += x1 * x3;
      g23 += x2 * x3;
    }
    let j = 0;
    for (; j + 1 < k; j += 2) {
      const oz = j * n;
      const oy = oz + n;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let u0 = 0;
      let u1 = 0;
      let u2 = 0;
      let u3 = 0;
      for (let i = lo; i < n; i++) {
        const z = vectors[oz + i]!;
        const y = vectors[oy + i]!;
        const x0 = R[r0 + i]!;
        const x1 = R[r1 + i]!;
        const x2 = R[r2 + i]!;
        const x3 = R[r3 + i]!;
        s0 += x0 * z;
        s1 += x1 * z;
        s2 += x2 * z;
        s3 += x3 * z;
        u0 += x0 * y;
        u1 += x1 * y;
        u2 += x2 * y;
        u3 += x3 * y;
      }
      const c3 = t3 * s3;
      const c2 = t2 * (s2 - c3 * g23);
      const c1 = t1 * (s1 - c2 * g12 - c3 * g13);
      const c0 = t0 * (s0 - c1 * g01 - c2 * g02 - c3 * g03);
      const d3 = t3 * u3;
      const d2 = t2 * (u2 - d3 * g23);
      const d1 = t1 * (u1 - d2 * g12 - d3 * g13);
      const d0 = t0 * (u0 - d1 * g01 - d2 * g02 - d3 * g03);
      for (let i = lo; i < n; i++) {
        const x0 = R[r0 + i]!;
        const x1 = R[r1 + i]!;
        const x2 = R[r2 + i]!;
        const x3 = R[r3 + i]!;
        vectors[oz + i]! -= c0 * x0 + c1 * x1 + c2 * x2 + c3 * x3;
        vectors[oy + i]! -= d0 * x0 + d1 * x1 + d2 * x2 + d3 * x3;
      }
    }
    if (j < k) {
      const oz = j * n;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = lo; i < n; i++) {
        const z = vectors[oz + i]!;
        s0 += R[r0 + i]! * z;
        s1 += R[r1 + i]! * z;
        s2 += R[r2 + i]! * z;
        s3 += R[r3 + i]! * z;
      }
      const c3 = t3 * s3;
      const c2 = t2 * (s2 - c3 * g23);
      const c1 = t1 * (s1 - c2 * g12 - c3 * g13);
      const c0 = t0 * (s0 - c1 * g01 - c2 * g02 - c3 * g03);
      for (let i = lo; i < n; i++) vectors[oz + i]! -= c0 * R[r0 + i]! + c1 * R[r1 + i]! + c2 * R[r2 + i]! + c3 * R[r3 + i]!;
    }
  }
  // the first b < 4 reflectors, one at a time
  for (let c = b - 1; c >= 0; c--) {
    const tau = taus[c]!;
    if (tau === 0) continue;
    const rc = c * n;
    for (let j = 0; j < k; j++) {
      const o = j * n;
      let s = 0;
      for (let i = c + 1; i < n; i++) s += R[rc + i]! * vectors[o + i]!;
      const sc = s * tau;
      for (let i = c + 1; i < n; i++) vectors[o + i]! -= sc * R[rc + i]!;
    }
  }
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
  /** The starting vector, the same for every eigenvalue (`%` on doubles is a libm call in V8). */
  start: Float64Array;
}

function inverseIterationWork(n: number): InverseIterationWork {
  const start = new Float64Array(n);
  for (let i = 0; i < n; i++) start[i] = 1 / Math.sqrt(n) + ((i * 0.6180339887) % 1) * 1e-3;
  return { u0: new Float64Array(n), u1: new Float64Array(n), u2: new Float64Array(n), l: new Float64Array(n), swapped: new Uint8Array(n), start };
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
  norm: number,
  lambda: number,
  vectors: Float64Array,
  j: number,
  from: number,
  work: InverseIterationWork,
): void {
  const pivotFloor = Math.max(norm, Number.MIN_VALUE) * Number.EPSILON;
  // LU of T − λI with partial pivoting: U has diagonals u0, u1, u2; l holds the multipliers.
  // Row i+1 of the partly eliminated matrix, [·, piv, up], is carried in locals, not in u0/u1
  // (a round trip through memory per step in a chain of dependent steps).
  const { u0, u1, u2, l, swapped } = work;
  let piv = d[0]! - lambda;
  let up = n > 1 ? e[0]! : 0;
  for (let i = 0; i < n - 1; i++) {
    const sub = e[i]!; // below the diagonal in row i+1
    const next = d[i + 1]! - lambda; // row i+1: [sub, next, nextUp]
    const nextUp = i + 1 < n - 1 ? e[i + 1]! : 0;
    if (Math.abs(piv) >= Math.abs(sub)) {
      if (piv === 0) piv = pivotFloor;
      const f = sub / piv;
      l[i] = f;
      swapped[i] = 0;
      u0[i] = piv;
      u1[i] = up;
      u2[i] = 0;
      piv = next - f * up;
      up = nextUp;
    } else {
      // swap rows i and i+1
      const f = piv / sub;
      l[i] = f;
      swapped[i] = 1;
      u0[i] = sub;
      u1[i] = next;
      u2[i] = nextUp;
      piv = up - f * next;
      up = i + 1 < n - 1 ? -f * nextUp : 0;
    }
  }
  if (Math.abs(piv) < pivotFloor) piv = pivotFloor;
  u0[n - 1] = piv;
  u1[n - 1] = up;
  u2[n - 1] = 0;
  // the pivots as the back substitution divides by them (those below the floor raised to it)
  for (let i = 0; i < n; i++) if (Math.abs(u0[i]!) < pivotFloor) u0[i] = u0[i]! < 0 ? -pivotFloor : pivotFloor;
  const z = vectors.subarray(j * n, (j + 1) * n);
  z.set(work.start);
  for (let iter = 0; iter < 3; iter++) {
    // forward: apply the row swaps and multipliers (the running entry carried in a local)
    let cur = z[0]!;
    for (let i = 0; i < n - 1; i++) {
      const nx = z[i + 1]!;
      if (swapped[i]) {
        z[i] = nx;
        cur -= l[i]! * nx;
      } else {
        z[i] = cur;
        cur = nx - l[i]! * cur;
      }
    }
    z[n - 1] = cur;
    // back substitution with U (the two entries below carried in locals)
    let z2 = z[n - 1]! / u0[n - 1]!;
    z[n - 1] = z2;
    if (n > 1) {
      let z1 = (z[n - 2]! - u1[n - 2]! * z2) / u0[n - 2]!;
      z[n - 2] = z1;
      for (let i = n - 3; i >= 0; i--) {
        const zi = (z[i]! - u1[i]! * z1 - u2[i]! * z2) / u0[i]!;
        z[i] = zi;
        z2 = z1;
        z1 = zi;
      }
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
