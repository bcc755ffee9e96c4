import { strict as assert } from 'node:assert';
import { exactLowRank } from '../../../src/core/linalg/exact-low-rank.js';
import { hostGram } from '../../../src/core/linalg/gram.js';
import { hostDenseOps } from '../../../src/core/linalg/host-ops.js';
import { exactSvd, lowRankReconstruction } from '../../../src/core/linalg/svd.js';
import { topKByMagnitude } from '../../../src/core/linalg/topk.js';
import { Rng } from '../../../src/core/rng.js';
import { gaussian, orthonormalColumns, reconstruct } from './helpers.js';

function relError(want: ArrayLike<number>, got: ArrayLike<number>): number {
  let d = 0;
  let w = 0;
  for (let i = 0; i < want.length; i++) {
    d += (want[i]! - got[i]!) ** 2;
    w += want[i]! ** 2;
  }
  return Math.sqrt(d / w);
}

/** U_r Σ_r V_rᵀ in float64 from ml-matrix's SVD (exactSvd): an implementation independent of the Gram route. */
function svdLowRank(a: Float32Array, m: number, n: number, r: number): Float64Array {
  const svd = exactSvd(a, m, n);
  return reconstruct(svd.u, svd.s, svd.v, m, n, svd.rank, r);
}

describe('exactLowRank (the float64 Gram eigenvectors)', () => {
  // wide and tall (W or Wᵀ on the Gram side), and ranks below and above p/2 (kept or dropped
  // eigenvectors computed)
  for (const [m, n, r] of [
    [40, 90, 6],
    [40, 90, 30],
    [90, 40, 6],
    [90, 40, 30],
    [50, 50, 20],
  ] as const) {
    it(`equals the SVD's W_r for a ${m}×${n} Gaussian matrix at rank ${r}, and selects the same mask`, async () => {
      const a = Float32Array.from(gaussian(new Rng(m * 7 + r), m, n));
      const want = svdLowRank(a, m, n, r);
      const got = await exactLowRank(a, m, n, r);
      // float32 output: the error is float32 rounding, not approximation (a randomized sketch of a
      // flat Gaussian spectrum is off by tens of percent here)
      assert.ok(relError(want, got) < 1e-5, `relative error ${relError(want, got)}`);
      const k = Math.floor((m * n) / 10);
      assert.deepEqual(topKByMagnitude(got, k), topKByMagnitude(want, k));
    });
  }

  it('recovers a known low-rank-plus-decay matrix to float32 rounding', async () => {
    const [m, n, p, r] = [60, 110, 30, 8];
    const rng = new Rng(3);
    const s = Array.from({ length: p }, (_, i) => 4 * 0.8 ** i);
    const u = orthonormalColumns(rng, m, p);
    const v = orthonormalColumns(rng, n, p);
    const got = await exactLowRank(Float32Array.from(reconstruct(u, s, v, m, n, p, p)), m, n, r);
    assert.ok(relError(reconstruct(u, s, v, m, n, p, r), got) < 1e-5);
  });

  it('returns a copy of W when rank ≥ min(m, n), and zeros for W = 0', async () => {
    const w = Float32Array.from(gaussian(new Rng(1), 5, 8));
    const same = await exactLowRank(w, 5, 8, 5);
    assert.deepEqual(same, w);
    assert.notEqual(same, w);
    for (const r of [1, 4]) assert.deepEqual(await exactLowRank(new Float32Array(6 * 9), 6, 9, r), new Float32Array(6 * 9));
  });

  it('forms its Gram with ops.gram and its projection with ops.matmul when offered', async () => {
    const [m, n, r] = [70, 30, 4];
    const calls: string[] = [];
    const ops = {
      matmul: (x: Float32Array, xs: readonly [number, number], y: Float32Array, ys: readonly [number, number], o?: { transA?: boolean; transB?: boolean }) => {
        calls.push(`matmul ${xs}x${ys}`);
        return hostDenseOps.matmul(x, xs, y, ys, o);
      },
      gram: async (x: Float32Array, rows: number, cols: number) => (calls.push(`gram ${rows},${cols}`), hostGram(x, rows, cols)),
    };
    const a = Float32Array.from(gaussian(new Rng(2), m, n));
    const got = await exactLowRank(a, m, n, r, ops);
    // tall W: the Gram of Wᵀ [30, 70], then W·basisᵀ and (W·basisᵀ)·basis
    assert.deepEqual(calls, ['gram 30,70', 'matmul 70,30x4,30', 'matmul 70,4x4,30']);
    assert.deepEqual(got, await exactLowRank(a, m, n, r));
  });

  it("is lowRankReconstruction's exact path", async () => {
    const [m, n, r] = [64, 100, 8];
    const a = Float32Array.from(gaussian(new Rng(4), m, n));
    assert.deepEqual(await lowRankReconstruction(a, m, n, r, { rng: new Rng(0), exactThreshold: 64 }), await exactLowRank(a, m, n, r));
  });
});
