import { strict as assert } from 'node:assert';
import type { DenseOps, MaskContext } from '../../../src/core/contracts.js';
import { hostDenseOps } from '../../../src/core/linalg/host-ops.js';
import { InvalidArgumentError } from '../../../src/core/errors.js';
import { Registry } from '../../../src/core/registry.js';
import { Rng } from '../../../src/core/rng.js';
import { tensor } from '../../../src/core/tensor.js';
import { registerBuiltins } from '../../../src/plugins/index.js';
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

/** The published variant's mask: the k smallest |U_r Σ_r V_rᵀ| by a full sort (ties to the lower index), and the gap at the cut. */
function smallestReference(u: Float64Array, s: number[], v: Float64Array, m: number, n: number, r: number, k: number) {
  const scores = reconstruct(u, s, v, m, n, s.length, r).map(Math.abs);
  const order = Array.from(scores.keys()).sort((i, j) => scores[i]! - scores[j]! || i - j);
  return { mask: Int32Array.from(order.slice(0, k)).sort(), gap: scores[order[k]!]! - scores[order[k - 1]!]!, scale: scores[order.at(-1)!]! };
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
    const st = new LiftStrategy({ filterRank: 8, exactThreshold: 0 });
    const got = await st.select(tensor('float32', [200, 150], w), 500, ctx(7, ops));
    assert.equal(got.length, 500);
    assert.equal(calls, 1 + 2 * st.options.powerIterations + 1 + 1); // sketch, power iterations, B = QᵀA, reconstruction
    // the exact path too: the Gram (host loops here: these ops offer none) and the two products of the projection
    calls = 0;
    await new LiftStrategy({ filterRank: 8 }).select(tensor('float32', [200, 150], w), 500, ctx(7, ops));
    assert.equal(calls, 2);
  });

  it('returns sorted distinct indices and keeps the whole matrix when r ≥ min(m, n)', async () => {
    const rng = new Rng(8);
    const w = Float32Array.from({ length: 30 * 20 }, () => rng.normal());
    const got = await new LiftStrategy({ filterRank: 20 }).select(tensor('float32', [30, 20], w), 100, ctx());
    assert.deepEqual(got, topKReference(w.map(Math.abs), 100)); // W_r = W: the magnitude mask
  });

  it('takes its options object with the documented defaults, refusing bad ones by name', async () => {
    const st = new LiftStrategy({ filterRank: 32, interval: 50 });
    assert.equal(st.refreshInterval, 50);
    assert.deepEqual(st.options, { filterRank: 32, interval: 50, refreshAt: 'multiple', selection: 'largest', oversampling: 32, powerIterations: 4, exactThreshold: 256 });
    // DESIGN: r' 128, refresh every 200 steps (after steps I, 2I, ...), the k largest |W_r|; the
    // decomposition of docs/fidelity.md: exact up to a smaller side of 256, above it a randomized
    // SVD with oversampling 32 and 4 power iterations (DESIGN's minimum: 10 and 2)
    assert.deepEqual(new LiftStrategy().options, { filterRank: 128, interval: 200, refreshAt: 'multiple', selection: 'largest', oversampling: 32, powerIterations: 4, exactThreshold: 256 });
    assert.equal(st.refreshAt, 'multiple');
    assert.equal(new LiftStrategy({ interval: 0 }).refreshInterval, 0, '0 never refreshes');
    for (const [opts, field] of [
      [{ filterRank: 0 }, 'filterRank'],
      [{ interval: -1 }, 'interval'],
      [{ oversampling: 9 }, 'oversampling'],
      [{ powerIterations: 1 }, 'powerIterations'],
      [{ exactThreshold: -1 }, 'exactThreshold'],
      [{ selection: 'middle' }, 'selection'],
      [{ refreshAt: 'before' }, 'refreshAt'],
      [{ filterRank: '8' }, 'filterRank'],
      [{ filterRank: 8.5 }, 'filterRank'],
    ] as const) {
      assert.throws(() => new LiftStrategy(opts as never), (e: unknown) => e instanceof InvalidArgumentError && e.message.includes(`'${field}'`), JSON.stringify(opts));
    }
    assert.equal(new LiftStrategy({ oversampling: 10, powerIterations: 2, filterRank: 1 }).options.filterRank, 1);
    await assert.rejects(st.select(tensor('float32', [4, 4]), 17, ctx()), /budget for model\.layers\.0\.mlp\.up_proj\.weight/);
    await assert.rejects(st.select(tensor('float32', [16]), 1, ctx()), /float32 matrix \[m, n\]/);
  });

  it('is built by the registry from the method options, with only its own keys', () => {
    const reg = new Registry();
    register(reg);
    const st = reg.strategy('lift', { filterRank: 32, interval: 50, lr: 1, rank: 4, betas: [0.9, 0.95] }) as LiftStrategy;
    assert.ok(st instanceof LiftStrategy);
    assert.deepEqual(st.options, { filterRank: 32, interval: 50, refreshAt: 'multiple', selection: 'largest', oversampling: 32, powerIterations: 4, exactThreshold: 256 });
    assert.throws(() => reg.strategy('lift', { filterRank: 0 }), /'filterRank'/);
  });

  it('registers the lift method: sparse + lift + sparse-adam with the paper defaults', () => {
    const reg = new Registry();
    register(reg);
    const { description, ...rest } = reg.method('lift');
    assert.deepEqual(rest, { name: 'lift', parametrization: 'sparse', strategy: 'lift', optimizer: 'sparse-adam', defaults: { lr: 2e-4 } });
    assert.equal(typeof description, 'string');
    assert.deepEqual(reg.strategyNames(), ['lift']);

    const all = registerBuiltins(new Registry());
    const r = all.resolve('lift', { filterRank: 8, interval: 7, rank: 2 });
    assert.ok(r.strategy instanceof LiftStrategy);
    assert.equal(r.strategy.refreshInterval, 7);
    assert.equal(r.strategy.options.filterRank, 8);
    assert.equal(r.options.lr, 2e-4);
    assert.equal(r.optimizer.name, 'sparse-adam');
  });

  it('the resolved method trains the top-k |W_r| entries, k = (m+n)·rank', async () => {
    const [m, n, r] = [48, 80, 4];
    const s = Array.from({ length: 48 }, (_, i) => 10 * 0.85 ** i);
    const { u, v, a } = known(1, m, n, s);
    const k = (m + n) * 2;
    const want = referenceMask(u, s, v, m, n, r, k);
    assert.ok(want.gap > 1e-5 * want.scale);
    const resolved = registerBuiltins(new Registry()).resolve('lift', { filterRank: r, rank: 2 });
    const weight = Float32Array.from(a);
    const target = await resolved.parametrization.create({ name: 'w', rows: m, cols: n, weight }, resolved.options, {
      strategy: resolved.strategy!,
      maskRng: new Rng(0),
      initRng: new Rng(0),
    });
    assert.deepEqual(target.mask!(), want.mask);
    // the values it trains are W at the mask
    assert.deepEqual(target.vectors().get('w.values'), Float32Array.from(want.mask, (i) => weight[i]!));
  });

  it("selection 'smallest' trains the k smallest |W_r| (the published scripts' lift_sparse), exact and randomized paths", async () => {
    const [m, n, r] = [48, 80, 4];
    const s = Array.from({ length: 48 }, (_, i) => 10 * 0.85 ** i);
    const { u, v, a } = known(1, m, n, s);
    const k = (m + n) * 2;
    const want = smallestReference(u, s, v, m, n, r, k);
    assert.ok(want.gap > 1e-5 * want.scale, 'test matrix has a near-tie at the cut');
    const w = tensor('float32', [m, n], Float32Array.from(a));
    assert.deepEqual(await new LiftStrategy({ filterRank: r, selection: 'smallest' }).select(w, k, ctx()), want.mask);
    // the largest-selection mask of the same W_r is a disjoint set
    assert.equal(overlap(await new LiftStrategy({ filterRank: r }).select(w, k, ctx()), want.mask), 0);

    // the randomized path (exactThreshold 0), its sketch spanning W's range (rank 12 ≤ r + oversampling)
    const [m2, n2] = [60, 90];
    const s2 = Array.from({ length: 12 }, (_, i) => 3 * 0.7 ** i);
    const big = known(2, m2, n2, s2);
    const k2 = (m2 + n2) * 2;
    const want2 = smallestReference(big.u, s2, big.v, m2, n2, r, k2);
    assert.ok(want2.gap > 1e-5 * want2.scale);
    const st = new LiftStrategy({ filterRank: r, selection: 'smallest', exactThreshold: 0 });
    assert.deepEqual(await st.select(tensor('float32', [m2, n2], Float32Array.from(big.a)), k2, ctx(3)), want2.mask);
  });

  it('registers lift-published: the same building blocks with the published recipe (k smallest |W_r|, refresh after I−1, 2I−1, ...)', async () => {
    const reg = registerBuiltins(new Registry());
    const { description, ...rest } = reg.method('lift-published');
    assert.deepEqual(rest, {
      name: 'lift-published',
      parametrization: 'sparse',
      strategy: 'lift',
      optimizer: 'sparse-adam',
      defaults: { lr: 2e-4, selection: 'smallest', refreshAt: 'reference', oversampling: 64, powerIterations: 6 },
    });
    assert.match(description!, /smallest/);
    const r = reg.resolve('lift-published', { filterRank: 4, rank: 2, interval: 10 });
    assert.ok(r.strategy instanceof LiftStrategy);
    assert.deepEqual([r.strategy.options.selection, r.strategy.refreshAt, r.strategy.refreshInterval], ['smallest', 'reference', 10]);
    // its recipe is a default like any other: a run may set it back
    const paper = reg.resolve('lift-published', { selection: 'largest', refreshAt: 'multiple' }).strategy as LiftStrategy;
    assert.deepEqual([paper.options.selection, paper.refreshAt], ['largest', 'multiple']);

    // and the mask its resolved method trains is the k smallest |W_r|
    const [m, n, fr] = [48, 80, 4];
    const s = Array.from({ length: 48 }, (_, i) => 10 * 0.85 ** i);
    const { u, v, a } = known(1, m, n, s);
    const want = smallestReference(u, s, v, m, n, fr, (m + n) * 2);
    const target = await r.parametrization.create({ name: 'w', rows: m, cols: n, weight: Float32Array.from(a) }, r.options, {
      strategy: r.strategy,
      maskRng: new Rng(0),
      initRng: new Rng(0),
    });
    assert.deepEqual(target.mask!(), want.mask);
  });
});
