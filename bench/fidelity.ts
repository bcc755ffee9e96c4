/**
 * The figures of docs/fidelity.md ("Exact masks"): how far LIFT's masks are from the exact SVD's,
 * and what exactness costs.
 *
 *   npx tsx bench/fidelity.ts                  # every part (~4 min on 2 idle cores)
 *   npx tsx bench/fidelity.ts --part=bundled   # (a) every target matrix of fixtures/model
 *   npx tsx bench/fidelity.ts --part=spectra   # (b), (c) 135M-shaped matrices, per SVD setting
 *   npx tsx bench/fidelity.ts --part=crossover # exact vs randomized CPU time by smaller side
 *
 * Overlap = |mask ∩ exact mask| / k, the exact mask from exactLowRank (the float64 Gram's
 * eigenvectors; test/core/linalg/exact-low-rank.test.ts checks it against ml-matrix's SVD).
 * Times are CPU milliseconds of this process (user + system): unlike wall time they are not
 * stretched when other jobs share the cores. Products run on BackendDenseOps, as in training.
 * Writes bench/results/fidelity.json.
 */
import { OnnxRuntimeBackend } from '../src/adapters/backends/onnxruntime/backend.js';
import { loadModelDir } from '../src/adapters/huggingface/checkpoint.js';
import { BackendDenseOps } from '../src/core/linalg/backend-ops.js';
import { maskBudget } from '../src/core/linalg/budget.js';
import { exactLowRank } from '../src/core/linalg/exact-low-rank.js';
import { lowRankReconstruction } from '../src/core/linalg/svd.js';
import { type Selection, sharedCount, topKByMagnitude } from '../src/core/linalg/topk.js';
import { Rng } from '../src/core/rng.js';
import { LiftStrategy, type LiftOptions } from '../src/plugins/lift/strategy.js';
import { machine, writeResult } from './util.js';

const part = process.argv.find((a) => a.startsWith('--part='))?.slice(7) ?? 'bundled,spectra,crossover';
const parts = new Set(part.split(','));
const ops = new BackendDenseOps(new OnnxRuntimeBackend());
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const overlap = (a: Int32Array, b: Int32Array) => sharedCount(a, b) / Math.max(1, b.length);
const round = (x: number, d = 4) => Number(x.toFixed(d));

type Svd = Pick<LiftOptions, 'oversampling' | 'powerIterations' | 'exactThreshold'>;
/** lift-sft before docs/fidelity.md (DESIGN's minimum sketch, exact up to a smaller side of 128) and now. */
const HEAD: Svd = { oversampling: 10, powerIterations: 2, exactThreshold: 128 };
const DEFAULT: Svd = { oversampling: 32, powerIterations: 4, exactThreshold: 256 };

/** (a) Every target matrix of the bundled model: the default path's masks against the exact ones. */
async function bundled() {
  const { weights } = loadModelDir('fixtures/model');
  const names = [...weights.keys()].filter((k) => /\.layers\.\d+\.(self_attn|mlp)\.\w+_proj\.weight$/.test(k));
  const rows = [];
  for (const [rank, filterRank] of [
    [6, 8],
    [16, 32],
  ] as const) {
    for (const [label, svd] of [
      ['head', HEAD],
      ['default', DEFAULT],
    ] as const) {
      const st = new LiftStrategy({ filterRank, ...svd });
      const per: Record<string, number> = {};
      let ms = 0;
      for (const name of names) {
        const w = weights.get(name)!;
        const [m, n] = w.shape as [number, number];
        const k = maskBudget(m, n, { rank });
        const want = topKByMagnitude(await exactLowRank(w.data, m, n, filterRank, ops), k);
        const t = cpuMs();
        const got = await st.select(w, k, { name, rng: new Rng(0), step: 0, ops });
        ms += cpuMs() - t;
        per[name.replace('model.layers.', '').replace('.weight', '')] = round(overlap(got, want));
      }
      const ov = Object.values(per);
      const row = { rank, filterRank, path: label, min: Math.min(...ov), mean: round(ov.reduce((a, b) => a + b, 0) / ov.length), cpuMs: Math.round(ms), per };
      rows.push(row);
      console.log(`(a) rank ${rank} r' ${filterRank} ${label}: overlap min ${row.min} mean ${row.mean}; all ${names.length} masks ${row.cpuMs} CPU ms`);
    }
  }
  return rows;
}

/** W = X·diag(s)·Yᵀ with Gaussian X, Y and s_i = i^(−α) (α = 0: Normal(0, 0.02), the random-init bulk). */
async function spectrumMatrix(m: number, n: number, alpha: number, rng: Rng): Promise<Float32Array> {
  if (alpha === 0) return Float32Array.from({ length: m * n }, () => rng.normal() * 0.02);
  const p = Math.min(m, n);
  const x = new Float32Array(m * p);
  for (let i = 0; i < m; i++) for (let j = 0; j < p; j++) x[i * p + j] = (rng.normal() * (j + 1) ** -alpha) / Math.sqrt(m);
  const y = Float32Array.from({ length: n * p }, () => rng.normal() / Math.sqrt(n));
  return ops.matmul(x, [m, p], y, [n, p], { transB: true });
}

/** (b), (c) The 135M shapes above the exact threshold at r' 128, budget rank 16, per sketch setting. */
async function spectra() {
  const shapes = [
    [576, 576],
    [1536, 576],
    [576, 1536],
  ] as const;
  const settings: [number, number][] = [
    [10, 2],
    [32, 2],
    [32, 3],
    [32, 4],
    [64, 4],
    [64, 6],
  ];
  const rows = [];
  for (const [alpha, seeds, selection] of [
    [1, 2, 'largest'],
    [0.5, 1, 'largest'],
    [0, 1, 'largest'],
    [1, 1, 'smallest'],
  ] as [number, number, Selection][]) {
    const mats: { m: number; n: number; w: Float32Array; want: Int32Array; k: number }[] = [];
    let exactMs = 0;
    for (let s = 0; s < seeds; s++) {
      const rng = new Rng(100 + alpha * 10 + 1000 * s);
      for (const [m, n] of shapes) {
        const w = await spectrumMatrix(m, n, alpha, rng);
        const k = maskBudget(m, n, { rank: 16 });
        const t = cpuMs();
        mats.push({ m, n, w, k, want: topKByMagnitude(await exactLowRank(w, m, n, 128, ops), k, selection) });
        exactMs += cpuMs() - t;
      }
    }
    for (const [oversampling, powerIterations] of settings) {
      const run = (x: (typeof mats)[number]) =>
        lowRankReconstruction(x.w, x.m, x.n, 128, { rng: new Rng(5), ops, oversampling, powerIterations, exactThreshold: 0 });
      await run(mats[0]!); // compile this sketch width's sessions
      const ov = [];
      let ms = 0;
      for (const x of mats) {
        const t = cpuMs();
        const got = topKByMagnitude(await run(x), x.k, selection);
        ms += cpuMs() - t;
        ov.push(overlap(got, x.want));
      }
      const row = { alpha, selection, oversampling, powerIterations, min: round(Math.min(...ov)), mean: round(ov.reduce((a, b) => a + b, 0) / ov.length), cpuMsPerMatrix: Math.round(ms / mats.length), exactCpuMsPerMatrix: Math.round(exactMs / mats.length) };
      rows.push(row);
      console.log(`(${alpha === 0 ? 'c' : 'b'}) σ ∝ i^-${alpha} ${selection} (${oversampling}, ${powerIterations}): overlap min ${row.min} mean ${row.mean}; ${row.cpuMsPerMatrix} CPU ms/matrix (exact ${row.exactCpuMsPerMatrix})`);
    }
  }
  return rows;
}

/** CPU ms per matrix [p, 1536] of the exact path and of the default randomized sketch, by p and r'. */
async function crossover() {
  const rows = [];
  const rng = new Rng(1);
  for (const p of [192, 256, 320, 384, 576]) {
    const w = Float32Array.from({ length: p * 1536 }, () => rng.normal());
    for (const r of [8, 32, 128]) {
      const time = async (f: () => Promise<unknown>) => {
        await f();
        const t = cpuMs();
        for (let i = 0; i < 3; i++) await f();
        return Math.round((cpuMs() - t) / 3);
      };
      const exact = await time(() => exactLowRank(w, p, 1536, r, ops));
      const sketch = r + DEFAULT.oversampling < p ? await time(() => lowRankReconstruction(w, p, 1536, r, { rng, ops, ...DEFAULT, exactThreshold: 0 })) : null;
      rows.push({ p, filterRank: r, exactCpuMs: exact, randomizedCpuMs: sketch });
      console.log(`crossover [${p}, 1536] r' ${r}: exact ${exact} CPU ms, randomized (32, 4) ${sketch ?? '-'} CPU ms`);
    }
  }
  return rows;
}

const result = {
  createdAt: new Date().toISOString(),
  machine: machine(),
  ...(parts.has('bundled') ? { bundled: await bundled() } : {}),
  ...(parts.has('spectra') ? { spectra: await spectra() } : {}),
  ...(parts.has('crossover') ? { crossover: await crossover() } : {}),
};
await ops.dispose();
console.log(`wrote ${writeResult('fidelity', result)}`);
