import { strict as assert } from 'node:assert';
import { cholesky, invertLower, symmetricEigen, symmetricEigenSmallest } from '../../../src/core/linalg/eigen.js';
import { hostDenseOps } from '../../../src/core/linalg/host-ops.js';
import { GRAM_SKETCH_MIN, hostGram, lowRankReconstruction, randomizedLowRank } from '../../../src/core/linalg/svd.js';
import { Rng } from '../../../src/core/rng.js';
import { gaussian, orthonormalColumns, reconstruct } from './helpers.js';

function symmetric(rng: Rng, n: number): Float64Array {
  const a = gaussian(rng, n, n);
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s[i * n + j] = a[i * n + j]! + a[j * n + i]!;
  return s;
}

function frob(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

describe('symmetricEigen', () => {
  for (const n of [1, 2, 7, 60]) {
    it(`decomposes a ${n}×${n} symmetric matrix: A·v = λ·v, orthonormal rows, ascending values`, () => {
      const a = symmetric(new Rng(n), n);
      const { values, vectors } = symmetricEigen(a, n);
      for (let i = 1; i < n; i++) assert.ok(values[i]! >= values[i - 1]!);
      for (let e = 0; e < n; e++) {
        for (let i = 0; i < n; i++) {
          let av = 0;
          for (let j = 0; j < n; j++) av += a[i * n + j]! * vectors[e * n + j]!;
          assert.ok(Math.abs(av - values[e]! * vectors[e * n + i]!) < 1e-10, `eigenpair ${e}`);
        }
        for (let f = 0; f < n; f++) {
          let d = 0;
          for (let i = 0; i < n; i++) d += vectors[e * n + i]! * vectors[f * n + i]!;
          assert.ok(Math.abs(d - (e === f ? 1 : 0)) < 1e-12);
        }
      }
    });
  }

  it('handles repeated eigenvalues (the identity and a rank-one matrix)', () => {
    const n = 6;
    const id = new Float64Array(n * n);
    for (let i = 0; i < n; i++) id[i * n + i] = 1;
    assert.deepEqual(Array.from(symmetricEigen(id, n).values), [1, 1, 1, 1, 1, 1]);
    const u = Float64Array.from({ length: n }, (_, i) => i + 1);
    const r1 = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) r1[i * n + j] = u[i]! * u[j]!;
    const { values } = symmetricEigen(r1, n);
    assert.ok(Math.abs(values[n - 1]! - 91) < 1e-10);
    for (let i = 0; i < n - 1; i++) assert.ok(Math.abs(values[i]!) < 1e-10);
  });
});

describe('symmetricEigenSmallest', () => {
  for (const [n, k] of [[1, 1], [2, 1], [9, 9], [80, 10]] as const) {
    it(`finds the ${k} smallest eigenpairs of a ${n}×${n} symmetric matrix as symmetricEigen does`, () => {
      const a = symmetric(new Rng(100 + n), n);
      const full = symmetricEigen(a, n);
      const few = symmetricEigenSmallest(a, n, k);
      const scale = Math.max(Math.abs(full.values[0]!), Math.abs(full.values[n - 1]!), 1);
      for (let j = 0; j < k; j++) {
        assert.ok(Math.abs(few.values[j]! - full.values[j]!) < 1e-12 * scale, `λ${j}`);
        let dot = 0;
        for (let i = 0; i < n; i++) dot += few.vectors[j * n + i]! * full.vectors[j * n + i]!;
        assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-9, `v${j}: ${dot}`);
      }
    });
  }

  // n = 3 … 7: one to five reflectors (the four-at-a-time back-transformation's remainders, the
  // fused update's four-row blocks and their tails)
  for (const n of [3, 4, 5, 6, 7, 13]) {
    it(`matches symmetricEigen on every eigenpair of a ${n}×${n} matrix`, () => {
      const a = symmetric(new Rng(300 + n), n);
      const full = symmetricEigen(a, n);
      const few = symmetricEigenSmallest(a, n, n);
      for (let j = 0; j < n; j++) {
        assert.ok(Math.abs(few.values[j]! - full.values[j]!) < 1e-12 * Math.max(1, Math.abs(full.values[n - 1]!)), `λ${j}`);
        let dot = 0;
        for (let i = 0; i < n; i++) dot += few.vectors[j * n + i]! * full.vectors[j * n + i]!;
        assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-9, `v${j}: ${dot}`);
      }
    });
  }

  it('handles columns that need no reflection (a zero reflector between nonzero ones)', () => {
    // rows/columns 0 … 5 and 6 … 11 uncoupled: column 5 has nothing below the diagonal once the
    // first block is reduced, so step 5 reflects nothing (τ = 0) and step 6 forms its own A2·v
    const n = 12;
    const rng = new Rng(77);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        if (i < 6 !== j < 6) continue;
        const x = rng.normal();
        a[i * n + j] = x;
        a[j * n + i] = x;
      }
    const full = symmetricEigen(a, n);
    const k = 8;
    const { values, vectors } = symmetricEigenSmallest(a, n, k);
    for (let j = 0; j < k; j++) {
      assert.ok(Math.abs(values[j]! - full.values[j]!) < 1e-12 * Math.abs(full.values[n - 1]!), `λ${j}`);
      let res = 0;
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let t = 0; t < n; t++) av += a[i * n + t]! * vectors[j * n + t]!;
        res = Math.max(res, Math.abs(av - values[j]! * vectors[j * n + i]!));
      }
      assert.ok(res < 1e-12, `residual ${j}: ${res}`);
    }
  });

  it('returns an orthonormal basis of a degenerate (null) eigenspace', () => {
    const [n, m] = [30, 12]; // rank 12: 18 zero eigenvalues
    const x = gaussian(new Rng(5), n, m);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let t = 0; t < m; t++) a[i * n + j]! += x[i * m + t]! * x[j * m + t]!;
    const { values, vectors } = symmetricEigenSmallest(a, n, 6);
    for (let j = 0; j < 6; j++) {
      assert.ok(Math.abs(values[j]!) < 1e-10);
      for (let i = 0; i < 6; i++) {
        let d = 0;
        for (let t = 0; t < n; t++) d += vectors[j * n + t]! * vectors[i * n + t]!;
        assert.ok(Math.abs(d - (i === j ? 1 : 0)) < 1e-10);
      }
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let t = 0; t < n; t++) av += a[i * n + t]! * vectors[j * n + t]!;
        assert.ok(Math.abs(av) < 1e-9);
      }
    }
  });
  it('separates a well-spread spectrum into clusters and a tight one into one, orthonormal either way (192×192)', () => {
    // A = U·diag(λ)·Uᵀ: 64 smallest eigenvalues spread (≥ 1e-3·‖A‖ apart: separate clusters), then
    // the same with σᵢ² ∝ i⁻² (the dropped tail of a pretrained-like Gram: one cluster)
    const n = 192;
    const u = orthonormalColumns(new Rng(21), n, n); // [n, n] row-major, columns orthonormal
    for (const lambda of [
      Float64Array.from({ length: n }, (_, i) => 1 + 0.01 * i),
      Float64Array.from({ length: n }, (_, i) => (i + 1) ** -2),
    ]) {
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let t = 0; t < n; t++) a[i * n + j]! += u[i * n + t]! * lambda[t]! * u[j * n + t]!;
      const want = Float64Array.from(lambda).sort();
      const k = 64;
      const { values, vectors } = symmetricEigenSmallest(a, n, k);
      const scale = want[n - 1]!;
      for (let j = 0; j < k; j++) {
        assert.ok(Math.abs(values[j]! - want[j]!) < 1e-12 * scale, `λ${j}: ${values[j]} vs ${want[j]}`);
        for (let i = 0; i <= j; i++) {
          let d = 0;
          for (let t = 0; t < n; t++) d += vectors[j * n + t]! * vectors[i * n + t]!;
          assert.ok(Math.abs(d - (i === j ? 1 : 0)) < 1e-10, `v${i}·v${j} = ${d}`);
        }
        let res = 0;
        for (let i = 0; i < n; i++) {
          let av = 0;
          for (let t = 0; t < n; t++) av += a[i * n + t]! * vectors[j * n + t]!;
          res = Math.max(res, Math.abs(av - values[j]! * vectors[j * n + i]!));
        }
        assert.ok(res < 1e-12 * scale, `residual ${j}: ${res}`);
      }
      // the span of the k found is the span of the k smallest: no weight on the others
      const keep = [...lambda.keys()].sort((x, y) => lambda[x]! - lambda[y]!).slice(k);
      for (const t of keep) {
        let w = 0;
        for (let j = 0; j < k; j++) {
          let d = 0;
          for (let i = 0; i < n; i++) d += vectors[j * n + i]! * u[i * n + t]!;
          w += d * d;
        }
        assert.ok(w < 1e-12, `weight on kept direction ${t}: ${w}`);
      }
    }
  });
});

describe('cholesky and invertLower', () => {
  /** C = X·Xᵀ of a Gaussian n×cols X: L·Lᵀ = C, L⁻¹·L = I, both lower triangular. */
  function checkFactorAndInverse(n: number, cols: number, seed: number): void {
    const x = gaussian(new Rng(seed), n, cols);
    const c = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < cols; k++) c[i * n + j]! += x[i * cols + k]! * x[j * cols + k]!;
    const L = cholesky(c, n)!;
    const inv = invertLower(L, n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let llt = 0;
        let li = 0;
        for (let k = 0; k < n; k++) {
          llt += L[i * n + k]! * L[j * n + k]!;
          li += inv[i * n + k]! * L[k * n + j]!;
        }
        assert.ok(Math.abs(llt - c[i * n + j]!) < 1e-9 * Math.abs(c[i * n + i]!));
        assert.ok(Math.abs(li - (i === j ? 1 : 0)) < 1e-10);
        if (j > i) {
          assert.equal(L[i * n + j], 0);
          assert.equal(inv[i * n + j], 0);
        }
      }
  }

  it('factor C = L·Lᵀ and invert L', () => checkFactorAndInverse(30, 60, 3));

  for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9]) {
    it(`factors and inverts ${n}×${n} (odd and even sizes, two columns and two rows at a time)`, () => checkFactorAndInverse(n, 2 * n + 1, 40 + n));
  }

  it('reports a singular Gram instead of factoring it', () => {
    const c = Float64Array.from([1, 1, 1, 1]);
    assert.equal(cholesky(c, 2), undefined);
  });

  it('reports the singular pivot wherever it falls (first or second of a column pair, or the last)', () => {
    for (const n of [3, 4, 5, 6, 7]) {
      for (let dep = 1; dep < n; dep++) {
        // row/column dep repeats row/column dep − 1 of a Gram: pivot dep is zero up to rounding
        const x = gaussian(new Rng(60 + n * 10 + dep), n, n + 2);
        for (let t = 0; t < n + 2; t++) x[dep * (n + 2) + t] = x[(dep - 1) * (n + 2) + t]!;
        const c = new Float64Array(n * n);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let t = 0; t < n + 2; t++) c[i * n + j]! += x[i * (n + 2) + t]! * x[j * (n + 2) + t]!;
        assert.equal(cholesky(c, n), undefined, `n = ${n}, dependent row ${dep}`);
      }
    }
  });
});

describe('randomizedLowRank', () => {
  const known = (seed: number, m: number, n: number, s: number[]) => {
    const rng = new Rng(seed);
    const u = orthonormalColumns(rng, m, s.length);
    const v = orthonormalColumns(rng, n, s.length);
    return { u, v, a: Float32Array.from(reconstruct(u, s, v, m, n, s.length, s.length)) };
  };

  for (const [m, n] of [[180, 120], [120, 180]] as const) {
    it(`gives the best rank-r approximation of a ${m}×${n} matrix with a decaying spectrum`, async () => {
      const r = 60;
      const s = Array.from({ length: 120 }, (_, i) => 0.9 ** i);
      const { u, v, a } = known(5, m, n, s);
      const want = reconstruct(u, s, v, m, n, s.length, r);
      const got = await randomizedLowRank(a, m, n, r, { rng: new Rng(1), oversampling: 10, powerIterations: 3 });
      const diff = want.map((x, i) => x - got[i]!);
      // spectral gap 0.9^60 → 0.9^70 and 3 power iterations: float32 accuracy
      assert.ok(frob(diff) / frob(want) < 1e-4, `relative error ${frob(diff) / frob(want)}`);
    });
  }

  it('is exact for a matrix of rank below the sketch, through the eigen fall-back (rank-deficient Gram)', async () => {
    const [m, n, r] = [150, 100, 64];
    const s = Array.from({ length: 20 }, (_, i) => 2 * 0.8 ** i);
    const { u, v, a } = known(6, m, n, s);
    const want = reconstruct(u, s, v, m, n, s.length, s.length);
    const got = await randomizedLowRank(a, m, n, r, { rng: new Rng(2) });
    const diff = want.map((x, i) => x - got[i]!);
    assert.ok(frob(diff) / frob(want) < 1e-5, `relative error ${frob(diff) / frob(want)}`);
    assert.deepEqual(await randomizedLowRank(new Float32Array(m * n), m, n, r, { rng: new Rng(2) }), new Float32Array(m * n));
  });

  it('runs every m·l- and n·l-sized product on the DenseOps, and its float64 Grams on ops.gram when offered', async () => {
    const [m, n, r] = [200, 160, 64];
    const rng = new Rng(7);
    const a = Float32Array.from(gaussian(rng, m, n));
    const shapes: string[] = [];
    let grams = 0;
    const ops = {
      matmul: (x: Float32Array, xs: readonly [number, number], y: Float32Array, ys: readonly [number, number], o?: { transA?: boolean; transB?: boolean }) => {
        shapes.push(`${xs}x${ys}`);
        return hostDenseOps.matmul(x, xs, y, ys, o);
      },
      gram: async (x: Float32Array, rows: number, cols: number) => (grams++, hostGram(x, rows, cols)),
    };
    // power steps through W (the steps through G = ÂÂᵀ: test/core/linalg/svd.test.ts)
    await randomizedLowRank(a, m, n, r, { rng, ops, gramSteps: false });
    // the sketch, 2 per power iteration and B = QᵀA, each against W [200, 160]
    assert.equal(shapes.filter((s) => s.includes('200,160')).length, 1 + 2 * 2 + 1);
    // float64 Grams: the final basis's two orthonormalization passes and B·Bᵀ (the intermediate
    // bases take float32 Gram products)
    assert.equal(grams, 3);
  });

  it('is what lowRankReconstruction uses for sketches of at least GRAM_SKETCH_MIN columns', async () => {
    const [m, n] = [140, 130];
    const r = GRAM_SKETCH_MIN - 10;
    const a = Float32Array.from(gaussian(new Rng(9), m, n));
    const direct = await randomizedLowRank(a, m, n, r, { rng: new Rng(4) });
    const viaPublic = await lowRankReconstruction(a, m, n, r, { rng: new Rng(4), exactThreshold: 0 });
    assert.deepEqual(viaPublic, direct);
  });
});
