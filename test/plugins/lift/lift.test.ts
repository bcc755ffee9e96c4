import { strict as assert } from 'node:assert';
import type { DenseOps, MaskContext } from '../../../src/core/contracts.js';
import { hostDenseOps } from '../../../src/core/linalg/host-ops.js';
import { Registry } from '../../../src/core/registry.js';
import { Rng } from '../../../src/core/rng.js';
import { tensor } from '../../../src/core/tensor.js';
import { LiftStrategy, register } from '../../../src/plugins/lift/index.js';
import { orthonormalColumns, overlap, reconstruct, topKReference } from '../../core/linalg/helpers.js';

const ctx = (seed = 0, ops?: DenseOps): MaskContext => ({ name: 'model.layers.0.mlp.up_proj.weight', rng: new Rng(seed), step: 0, ops });

/** A = U diag(s) Vᵀ with known orthonormal U [m, p], V [n, p]. */
function known(seed: number, m: number, n: number, s: number[]) {
  const rng = new Rng(seed);
  const u = orthonormalColumns(rng, m, s.length);
  const v = orthonormalColumns(rng, n, s.length);
  return { u, v, a: reconstruct(u, s, v, m, n, s.length, s.length) };
}

/** The reference mask: top-k of |U_r Σ_r V_rᵀ| from the known factors, plus the score gap at the cut. */
function referenceMask(u: Float64Array, s: number[], v: Float64Array, m: number, n: number, r: number, k: number) {
  const scores = reconstruct(u, s, v, m, n, s.length, r).map(Math.abs);
  const sorted = Float64Array.from(scores).sort().reverse();
  return { mask: topKReference(scores, k), gap: sorted[k - 1]! - sorted[k]!, scale: sorted[0]! };
}

describe('lift strategy', () => {
  it('selects the top-k of |W_r| for a matrix with a known SVD (exact path)', async () => {
    const [m, n, r] = [48, 80, 4];
    const s = Array.from({ length: 48 }, (_, i) => 10 * 0.85 ** i);
    const { u, v, a } = known(1, m, n, s);
    const k = (m + n) * 1;
    const want = referenceMask(u, s, v, m, n, r, k);
    assert.ok(want.gap > 1e-5 * want.scale, 'test matrix has a near-tie at the cut');
    const w = Float32Array.from(a);
    const got = await new LiftStrategy({ filterRank: r }).select(tensor('float32', [m, n], w), k, ctx());
    assert.deepEqual(got, want.mask);
    // rank reduction matters here: the plain magnitude mask is a different set
    assert.ok(overlap(got, topKReference(w.map(Math.abs), k)) < k);
  });

  it('selects the same mask on the randomized path when the sketch spans the range', async () => {
    const [m, n, r] = [200, 300, 4];
    const s = Array.from({ length: 12 }, (_, i) => 3 * 0.7 ** i); // rank 12 ≤ r + oversampling
    const { u, v, a } = known(2, m, n, s);
    const k = (m + n) * 2;
    const want = referenceMask(u, s, v, m, n, r, k);
    assert.ok(want.gap > 1e-5 * want.scale);
    const got = await new LiftStrategy({ filterRank: r, exactThreshold: 0 }).select(tensor('float32', [m, n], Float32Array.from(a)), k, ctx(3));
    assert.deepEqual(got, want.mask);
  });

  it('randomized mask overlaps the exact mask ≥ 95% on a 512×1024 matrix with σ_i = i^-1.5', async function () {
    this.timeout(60_000);
    const [m, n, r] = [512, 1024, 32];
    const s = Array.from({ length: 256 }, (_, i) => (i + 1) ** -1.5);
    const { u, v, a } = known(4, m, n, s);
    const k = (m + n) * 8;
    const want = referenceMask(u, s, v, m, n, r, k).mask;
    const strategy = new LiftStrategy({ filterRank: r });
    const got = await strategy.select(tensor('float32', [m, n], Float32Array.from(a)), k, ctx(5));
    assert.equal(got.length, k);
    const frac = overlap(got, want) / k;
    assert.ok(frac >= 0.95, `overlap ${(100 * frac).toFixed(2)}%`);
  });

  it('runs its big products on the DenseOps of the context', async () => {
    let calls = 0;
    const ops: DenseOps = { matmul: (...args) => (calls++, hostDenseOps.matmul(...args)) };
    const rng = new Rng(6);
    const w = Float32Array.from({ length: 200 * 150 }, () => rng.normal());
    const got = await new LiftStrategy({ filterRank: 8, exactThreshold: 0 }).select(tensor('float32', [200, 150], w), 500, ctx(7, ops));
    assert.equal(got.length, 500);
    assert.equal(calls, 1 + 2 * 2 + 1 + 1); // sketch, 2 power iterations, B = QᵀA, reconstruction
  });

  it('returns sorted distinct indices and keeps the whole matrix when r ≥ min(m, n)', async () => {
    const rng = new Rng(8);
    const w = Float32Array.from({ length: 30 * 20 }, () => rng.normal());
    const got = await new LiftStrategy({ filterRank: 20 }).select(tensor('float32', [30, 20], w), 100, ctx());
    assert.deepEqual(got, topKReference(w.map(Math.abs), 100)); // W_r = W: the magnitude mask
  });

  it('reads and validates its options, and rejects a bad weight or budget', async () => {
    const reg = new Registry();
    register(reg);
    const st = reg.strategy('lift', { filterRank: 32, interval: 50, lr: 1 }) as LiftStrategy;
    assert.equal(st.refreshInterval, 50);
    assert.equal(st.options.filterRank, 32);
    assert.equal((reg.strategy('lift') as LiftStrategy).refreshInterval, 200);
    assert.equal((reg.strategy('lift') as LiftStrategy).options.filterRank, 128);
    for (const [opts, field] of [[{ filterRank: 0 }, 'filterRank'], [{ interval: -1 }, 'interval'], [{ oversampling: 4 }, 'oversampling'], [{ powerIterations: 1 }, 'powerIterations'], [{ filterRank: '8' }, 'filterRank']] as const) {
      assert.throws(() => reg.strategy('lift', opts), new RegExp(`'${field}'`));
    }
    await assert.rejects(st.select(tensor('float32', [4, 4]), 17, ctx()), /budget for model\.layers\.0\.mlp\.up_proj\.weight/);
    await assert.rejects(st.select(tensor('float32', [16]), 1, ctx()), /float32 matrix \[m, n\]/);
  });

  it('registers the lift method: sparse + lift + sparse-adam with the paper defaults', () => {
    const reg = new Registry();
    register(reg);
    assert.deepEqual({ ...reg.method('lift') }, {
      name: 'lift',
      parametrization: 'sparse',
      strategy: 'lift',
      optimizer: 'sparse-adam',
      defaults: { lr: 2e-4, rank: 128, filterRank: 128, interval: 200 },
      options: ['rank', 'density', 'filterRank', 'interval', 'oversampling', 'powerIterations', 'exactThreshold'],
    });
  });
});
