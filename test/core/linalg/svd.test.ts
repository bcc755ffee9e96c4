import { strict as assert } from 'node:assert';
import { chooseSvd, exactSvd, gramStepsPay, lowRankReconstruction, randomizedLowRank, randomizedSvd } from '../../../src/core/linalg/svd.js';
import { hostDenseOps } from '../../../src/core/linalg/host-ops.js';
import { householderQr } from '../../../src/core/linalg/qr.js';
import { InvalidArgumentError } from '../../../src/core/errors.js';
import { Rng } from '../../../src/core/rng.js';
import { gaussian, orthonormalColumns, reconstruct } from './helpers.js';

function frob(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

/** max |XᵀX − I| for X row-major rows×p. */
function orthogonalityError(x: Float64Array, rows: number, p: number): number {
  let worst = 0;
  for (let a = 0; a < p; a++)
    for (let b = 0; b < p; b++) {
      let d = 0;
      for (let i = 0; i < rows; i++) d += x[i * p + a]! * x[i * p + b]!;
      worst = Math.max(worst, Math.abs(d - (a === b ? 1 : 0)));
    }
  return worst;
}

/** Row-major A with A = U diag(s) Vᵀ from known factors (U m×p, V n×p orthonormal). */
function knownMatrix(rng: Rng, m: number, n: number, s: number[]) {
  const p = s.length;
  const u = orthonormalColumns(rng, m, p);
  const v = orthonormalColumns(rng, n, p);
  return { u, v, a: reconstruct(u, s, v, m, n, p, p) };
}

describe('householderQr', () => {
  it('gives orthonormal Q and upper-triangular R with QR = A, also for rank-deficient input', () => {
    const rng = new Rng(11);
    const [m, l] = [40, 9];
    const a = gaussian(rng, l, m); // column-major m×l: column j is a[j*m ..]
    a.copyWithin(3 * m, 1 * m, 2 * m); // column 3 = column 1
    a.fill(0, 5 * m, 6 * m); // column 5 = 0
    const { q, r } = householderQr(a, m, l, true);
    for (let x = 0; x < l; x++)
      for (let y = 0; y < l; y++) {
        let d = 0;
        for (let i = 0; i < m; i++) d += q[x * m + i]! * q[y * m + i]!;
        assert.ok(Math.abs(d - (x === y ? 1 : 0)) < 1e-13, `QᵀQ[${x},${y}] = ${d}`);
        if (x > y) assert.equal(r![x * l + y], 0);
      }
    for (let i = 0; i < m; i++)
      for (let j = 0; j < l; j++) {
        let s = 0;
        for (let t = 0; t < l; t++) s += q[t * m + i]! * r![t * l + j]!;
        assert.ok(Math.abs(s - a[j * m + i]!) < 1e-13);
      }
  });
});

describe('exactSvd', () => {
  for (const [m, n] of [[30, 30], [60, 25], [25, 60]] as const) {
    it(`reconstructs a ${m}×${n} matrix to 1e-12 relative with orthonormal U, V and descending s`, () => {
      const rng = new Rng(m * 100 + n);
      const a = gaussian(rng, m, n);
      const svd = exactSvd(a, m, n);
      const p = Math.min(m, n);
      assert.equal(svd.rank, p);
      const back = reconstruct(svd.u, svd.s, svd.v, m, n, p, p);
      const diff = back.map((x, i) => x - a[i]!);
      assert.ok(frob(diff) / frob(a) < 1e-12, `relative error ${frob(diff) / frob(a)}`);
      assert.ok(orthogonalityError(svd.u, m, p) < 1e-12);
      assert.ok(orthogonalityError(svd.v, n, p) < 1e-12);
      for (let i = 1; i < p; i++) assert.ok(svd.s[i - 1]! >= svd.s[i]! && svd.s[i]! >= 0);
    });
  }

  it('recovers the chosen singular values of a matrix with a known SVD', () => {
    const rng = new Rng(5);
    const s = [9, 4, 2.5, 1, 0.5, 0.25, 0.1];
    const { a } = knownMatrix(rng, 20, 13, s);
    const svd = exactSvd(a, 20, 13);
    s.forEach((x, i) => assert.ok(Math.abs(svd.s[i]! - x) < 1e-12));
    for (let i = s.length; i < 13; i++) assert.ok(svd.s[i]! < 1e-12);
  });
});

describe('randomizedSvd', () => {
  it('recovers the leading triplets of a matrix whose rank fits in the sketch', async () => {
    const rng = new Rng(21);
    const [m, n] = [300, 200];
    const s = Array.from({ length: 15 }, (_, i) => 10 * 0.7 ** i);
    const { a, u } = knownMatrix(rng, m, n, s);
    const svd = await randomizedSvd(Float32Array.from(a), m, n, 8, { rng: new Rng(1) });
    assert.equal(svd.rank, 8);
    for (let i = 0; i < 8; i++) {
      assert.ok(Math.abs(svd.s[i]! - s[i]!) / s[i]! < 1e-5, `σ${i}: ${svd.s[i]} vs ${s[i]}`);
      // |⟨u_i, û_i⟩| ≈ 1: same direction up to sign
      let d = 0;
      for (let r = 0; r < m; r++) d += svd.u[r * 8 + i]! * u[r * 15 + i]!;
      assert.ok(Math.abs(Math.abs(d) - 1) < 1e-4, `u${i}: ${d}`);
    }
    assert.ok(orthogonalityError(svd.u, m, 8) < 1e-6);
    assert.ok(orthogonalityError(svd.v, n, 8) < 1e-6);
  });

  it('insists on at least 10 oversampling columns and 2 power iterations', async () => {
    const a = new Float32Array(50 * 40);
    await assert.rejects(randomizedSvd(a, 50, 40, 4, { rng: new Rng(0), oversampling: 5 }), /oversampling/);
    await assert.rejects(randomizedSvd(a, 50, 40, 4, { rng: new Rng(0), powerIterations: 1 }), /powerIterations/);
    await assert.rejects(randomizedSvd(a, 50, 40, 41, { rng: new Rng(0) }), InvalidArgumentError);
  });

  it('sends the products with A through the DenseOps it is given', async () => {
    const rng = new Rng(3);
    const a = Float32Array.from(gaussian(rng, 60, 50));
    const shapes: string[] = [];
    const { hostDenseOps } = await import('../../../src/core/linalg/host-ops.js');
    const ops = {
      matmul: (x: Float32Array, xs: readonly [number, number], y: Float32Array, ys: readonly [number, number], o?: { transA?: boolean; transB?: boolean }) => {
        shapes.push(`${xs}x${ys}`);
        return hostDenseOps.matmul(x, xs, y, ys, o);
      },
    };
    await randomizedSvd(a, 60, 50, 4, { rng, ops, powerIterations: 3 });
    // sketch + 2 per power iteration + B = QᵀA, every one of them against A [60, 50]
    assert.equal(shapes.length, 1 + 2 * 3 + 1);
    assert.ok(shapes.every((s) => s.endsWith('x60,50')));
  });
});

describe('lowRankReconstruction', () => {
  it('chooses identity, exact or randomized by the documented rule', () => {
    assert.equal(chooseSvd(64, 64, 64), 'identity');
    assert.equal(chooseSvd(64, 4096, 128), 'identity');
    assert.equal(chooseSvd(128, 4096, 8), 'exact'); // smaller side ≤ 128
    assert.equal(chooseSvd(4096, 130, 128), 'exact'); // smaller side ≤ rank + oversampling
    assert.equal(chooseSvd(4096, 4096, 128), 'randomized');
    assert.equal(chooseSvd(300, 300, 8, { exactThreshold: 0 }), 'randomized');
  });

  it('returns a copy of W when rank ≥ min(m, n)', async () => {
    const w = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const r = await lowRankReconstruction(w, 2, 3, 2, { rng: new Rng(0) });
    assert.deepEqual(r, w);
    assert.notEqual(r, w);
  });

  for (const exactThreshold of [undefined, 0]) {
    it(`gives the best rank-r approximation (${exactThreshold === 0 ? 'randomized' : 'exact'} path)`, async () => {
      const rng = new Rng(8);
      const [m, n, r] = [150, 140, 5];
      const s = Array.from({ length: 20 }, (_, i) => 5 * 0.5 ** i);
      const { a, u, v } = knownMatrix(rng, m, n, s);
      const want = reconstruct(u, s, v, m, n, 20, r);
      const got = await lowRankReconstruction(Float32Array.from(a), m, n, r, { rng, exactThreshold });
      const diff = want.map((x, i) => x - got[i]!);
      assert.ok(frob(diff) / frob(want) < 1e-5, `relative error ${frob(diff) / frob(want)}`);
    });
  }
});

describe('randomizedLowRank power steps through G = ÂÂᵀ', () => {
  // A wide matrix with a slowly decaying spectrum: the power steps matter, and they go through G
  // by the flop rule (R = 60, D = 400, l = 30, 4 steps).
  const [R, D, r] = [60, 400, 20];
  const s = Array.from({ length: R }, (_, i) => 1 / (i + 1));
  const opts = { oversampling: 10, powerIterations: 4 };

  it('is chosen by flops: for the 135M shapes at four steps, not for two steps of a thin sketch', () => {
    assert.equal(gramStepsPay(R, D, r + 10, 4), true);
    assert.equal(gramStepsPay(576, 1536, 160, 4), true); // 0.77 GFLOP against 1.27
    assert.equal(gramStepsPay(576, 576, 160, 4), true); // 0.46 against 0.48
    assert.equal(gramStepsPay(576, 576, 160, 2), false); // 0.35 against 0.27
    assert.equal(gramStepsPay(576, 1536, 138, 2), false); // 0.65 against 0.61
  });

  for (const [m, n] of [[R, D], [D, R]] as const) {
    it(`gives the best rank-r approximation of a ${m}×${n} matrix, at least as closely as the steps through Â`, async () => {
      const rng = new Rng(11);
      const u = orthonormalColumns(rng, m, R);
      const v = orthonormalColumns(rng, n, R);
      const a = Float32Array.from(reconstruct(u, s, v, m, n, R, R));
      const want = reconstruct(u, s, v, m, n, R, r);
      const products: string[] = [];
      const ops = {
        matmul: (x: Float32Array, xs: readonly [number, number], y: Float32Array, ys: readonly [number, number], o?: { transA?: boolean; transB?: boolean }) => {
          products.push(`${xs}x${ys}`);
          return hostDenseOps.matmul(x, xs, y, ys, o);
        },
      };
      await randomizedLowRank(a, m, n, r, { rng: new Rng(3), ops, ...opts });
      const withW = (p: string) => p.split('x').filter((side) => side === `${m},${n}`).length;
      // W enters two products (G and B = QᵀÂ), not the sketch and two per power step
      assert.equal(products.filter((p) => withW(p) > 0).length, 2);
      assert.equal(products.filter((p) => p === `${r + 10},${R}x${R},${R}`).length, 1 + opts.powerIterations);
      // relative error against the best rank-r approximation, over sketches: the spectrum decays
      // as 1/i, so rank 20 of a 30-wide sketch after 4 steps is close (~1e-3), not exact
      const err = (x: Float32Array) => frob(want.map((w, i) => w - x[i]!)) / frob(want);
      const viaG: number[] = [];
      const viaW: number[] = [];
      for (let seed = 1; seed <= 4; seed++) {
        viaG.push(err(await randomizedLowRank(a, m, n, r, { rng: new Rng(seed), ...opts })));
        viaW.push(err(await randomizedLowRank(a, m, n, r, { rng: new Rng(seed), ...opts, gramSteps: false })));
      }
      const mean = (x: number[]) => x.reduce((p, q) => p + q, 0) / x.length;
      assert.ok(Math.max(...viaG) < 3e-3, `errors through G ${viaG}`);
      assert.ok(Math.max(...viaW) < 3e-3, `errors through W ${viaW}`);
      // the range-side sketch through G is a test matrix Ω·Â, half a power step ahead
      assert.ok(mean(viaG) <= 1.1 * mean(viaW), `mean error through G ${mean(viaG)}, through W ${mean(viaW)}`);
    });
  }
});
