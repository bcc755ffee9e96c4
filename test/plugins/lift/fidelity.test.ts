/**
 * LIFT's default path gives the exact SVD's masks on the bundled model (docs/fidelity.md, "Exact
 * masks"): every target matrix, at the compare settings and at rank 16 / filter rank 32.
 */
import { strict as assert } from 'node:assert';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { loadModelDir } from '../../../src/adapters/huggingface/checkpoint.js';
import { BackendDenseOps } from '../../../src/core/linalg/backend-ops.js';
import { symmetricEigen } from '../../../src/core/linalg/eigen.js';
import { maskBudget } from '../../../src/core/linalg/budget.js';
import { sharedCount, topKByMagnitude } from '../../../src/core/linalg/topk.js';
import { Rng } from '../../../src/core/rng.js';
import { LiftStrategy } from '../../../src/plugins/lift/strategy.js';

/**
 * The left singular vectors of W, as the eigenvectors of W·Wᵀ (or of WᵀW for a tall W) by the
 * full tred2/tql2 eigensolver in float64, sorted by descending singular value; W_r = U_r·U_rᵀ·W in
 * float64. Independent of the default path's code (its eigensolver computes only some vectors,
 * by bisection and inverse iteration, and it reconstructs in float32).
 */
function exactReference(w: Float32Array, m: number, n: number) {
  const t = m > n;
  const p = t ? n : m;
  const d = t ? m : n;
  const a = new Float64Array(p * d); // Â = W or Wᵀ, row-major [p, d]
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[t ? j * m + i : i * n + j] = w[i * n + j]!;
  const g = new Float64Array(p * p);
  for (let i = 0; i < p; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += a[i * d + k]! * a[j * d + k]!;
      g[i * p + j] = g[j * p + i] = s;
    }
  const { vectors } = symmetricEigen(g, p); // ascending: the last rows belong to the largest σ²
  return (r: number): Float64Array => {
    const ar = new Float64Array(p * d);
    const coef = new Float64Array(d);
    for (let e = p - 1; e >= p - r; e--) {
      const u = vectors.subarray(e * p, (e + 1) * p);
      coef.fill(0);
      for (let i = 0; i < p; i++) for (let k = 0; k < d; k++) coef[k]! += u[i]! * a[i * d + k]!;
      for (let i = 0; i < p; i++) for (let k = 0; k < d; k++) ar[i * d + k]! += u[i]! * coef[k]!;
    }
    if (!t) return ar;
    const out = new Float64Array(m * n);
    for (let i = 0; i < p; i++) for (let k = 0; k < d; k++) out[k * n + i] = ar[i * d + k]!;
    return out;
  };
}

describe('lift fidelity: the default path gives the exact masks on the bundled model', function () {
  this.timeout(120_000);

  it("overlaps the exact SVD's mask by ≥ 0.99 on every target matrix at rank 6 / filter rank 8 and rank 16 / filter rank 32", async () => {
    const { weights } = loadModelDir('fixtures/model');
    const names = [...weights.keys()].filter((k) => /\.layers\.\d+\.(self_attn|mlp)\.\w+_proj\.weight$/.test(k));
    assert.equal(names.length, 4 * 7);
    const worst: string[] = [];
    // the products on the runtime, as the trainer runs them
    const ops = new BackendDenseOps(new OnnxRuntimeBackend());
    for (const name of names) {
      const w = weights.get(name)!;
      const [m, n] = w.shape as [number, number];
      const exact = exactReference(w.data, m, n);
      for (const [rank, filterRank] of [
        [6, 8],
        [16, 32],
      ] as const) {
        const k = maskBudget(m, n, { rank });
        const want = topKByMagnitude(exact(filterRank), k);
        const got = await new LiftStrategy({ filterRank }).select(w, k, { name, rng: new Rng(0), step: 0, ops });
        const overlap = sharedCount(got, want) / k;
        if (overlap < 0.99) worst.push(`${name} (rank ${rank}, r' ${filterRank}): ${overlap.toFixed(4)}`);
      }
    }
    await ops.dispose();
    assert.deepEqual(worst, [], 'matrices whose default-path mask overlaps the exact one by less than 0.99');
  });
});
