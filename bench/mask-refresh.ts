/**
 * Mask refresh: LIFT masks for every target matrix of the SmolLM2-135M-shaped model (filter
 * rank 128, LIFT's default path: exact W_r for the 192-wide k/v projections, randomized SVD with
 * oversampling 32 and 4 power iterations for the rest; rank-16 budget), computed as the trainer
 * computes them (LiftStrategy on BackendDenseOps), and the overlap of the default path's masks
 * with exact masks (exactLowRank on every matrix) on four sampled matrices (docs/fidelity.md).
 *
 * The overlap is measured on two kinds of weights of the same shapes:
 * - the random-initialized model (Normal(0, 0.02), what the training benchmark trains): its
 *   spectrum is the flat Marchenko–Pastur bulk, where the best rank-128 approximation is barely
 *   determined and no affordable sketch finds it;
 * - matrices with a pretrained-like decaying spectrum: W = X·diag(s)·Yᵀ with Gaussian X, Y and
 *   s_i = i^(−α), the regime LIFT is made for (principal weights of pretrained models).
 */
import { availableParallelism } from 'node:os';
import { OnnxRuntimeBackend, type OrtBackendOptions } from '../src/adapters/backends/onnxruntime/backend.js';
import { BackendDenseOps } from '../src/core/linalg/backend-ops.js';
import { maskBudget } from '../src/core/linalg/budget.js';
import { sharedCount } from '../src/core/linalg/topk.js';
import { type TargetSpec, createTargets, refreshTargets, targetMasks } from '../src/core/training/targets.js';
import { TARGET_MODULES, type TargetModule, linearShape, linearWeightName } from '../src/core/model/config.js';
import { Rng } from '../src/core/rng.js';
import { tensor } from '../src/core/tensor.js';
import { LiftStrategy, type LiftOptions } from '../src/plugins/lift/strategy.js';
import { sparseParametrization } from '../src/plugins/sparse/index.js';
import { SparseAdamW } from '../src/plugins/sparse-adam/optimizer.js';
import { SMOL_135M, fastInitTargets } from './models.js';

export interface MaskRefreshSpec {
  kind: 'mask';
  /** Filter rank r' (default 128). */
  filterRank?: number;
  /** Budget rank (k = (m+n)·rank), default 16. */
  rank?: number;
  /** Layers to time (default: all of the model). */
  layers?: number;
  /** Power-law exponents of the structured overlap matrices (default [1]). */
  alphas?: number[];
  /** Measure the overlap with exact masks (default true; slow: exact SVDs). */
  overlap?: boolean;
  /** ONNX Runtime intra-op threads (default: the runtime's choice, all cores). */
  threads?: number;
  /**
   * Worker threads of the backend's task pool, where the masks are selected side by side as the
   * trainer selects them (default: the cores); 0 or 1 selects every mask on the calling thread.
   */
  workers?: number;
  /** Backend options (e.g. { allowSpinning: false }). */
  backend?: OrtBackendOptions;
  /**
   * LIFT's SVD options instead of its defaults, e.g. the path before docs/fidelity.md:
   * { oversampling: 10, powerIterations: 2, exactThreshold: 128 }.
   */
  options?: Partial<Pick<LiftOptions, 'oversampling' | 'powerIterations' | 'exactThreshold'>>;
}

export interface OverlapRow {
  name: string;
  shape: [number, number];
  budget: number;
  overlap: number;
  exactSeconds: number;
}

export interface MaskRefreshResult {
  model: string;
  filterRank: number;
  budgetRank: number;
  matrices: number;
  /** Worker threads the masks were selected on (1: the calling thread alone). */
  workers: number;
  /** Seconds of the first pass over every matrix: includes compiling one Gemm session per product shape (and starting the workers). */
  coldSeconds: number;
  /** Seconds of a second pass (sessions compiled, as in a refresh during training): the target figure. */
  refreshSeconds: number;
  /**
   * CPU seconds (user + system, all threads) of that pass: unlike wall time, not stretched when
   * other jobs share the cores (ONNX Runtime's spinning worker threads add some).
   */
  refreshCpuSeconds: number;
  perModuleSeconds: Record<string, number>;
  overlapRandomInit: { mean: number; min: number; rows: OverlapRow[] };
  overlapStructured: { alpha: number; mean: number; min: number; rows: OverlapRow[] }[];
  maxRssBytes: number;
}

const SAMPLED: [number, TargetModule][] = [
  [0, 'q_proj'],
  [9, 'k_proj'],
  [19, 'up_proj'],
  [29, 'down_proj'],
];

function overlapOf(a: Int32Array, b: Int32Array): number {
  return sharedCount(a, b) / Math.max(1, b.length);
}

const now = () => performance.now() / 1000;

/** X·diag(s)·Yᵀ, X [m, p] and Y [n, p] Gaussian, s_i = i^(−α), p = min(m, n); products on the backend. */
async function powerLawMatrix(ops: BackendDenseOps, m: number, n: number, alpha: number, rng: Rng): Promise<Float32Array> {
  const p = Math.min(m, n);
  const x = new Float32Array(m * p);
  for (let i = 0; i < m; i++) for (let j = 0; j < p; j++) x[i * p + j] = (rng.normal() * (j + 1) ** -alpha) / Math.sqrt(m);
  const y = new Float32Array(n * p);
  for (let i = 0; i < y.length; i++) y[i] = rng.normal() / Math.sqrt(n);
  return ops.matmul(x, [m, p], y, [n, p], { transB: true });
}

export async function measureMaskRefresh(spec: MaskRefreshSpec): Promise<MaskRefreshResult> {
  const config = SMOL_135M.config;
  const filterRank = spec.filterRank ?? 128;
  const budgetRank = spec.rank ?? 16;
  const layers = Math.min(spec.layers ?? config.numHiddenLayers, config.numHiddenLayers);
  const weights = fastInitTargets(config, 1, layers);
  const workers = spec.workers ?? availableParallelism();
  const backend = new OnnxRuntimeBackend({ ...spec.backend, ...(spec.threads ? { intraOpThreads: spec.threads } : {}), taskThreads: workers });
  const ops = new BackendDenseOps(backend);
  const pool = backend.taskPool();
  const defaultPath = new LiftStrategy({ filterRank, ...spec.options });
  const exact = new LiftStrategy({ filterRank, exactThreshold: 1 << 30 });
  const rng = new Rng(11);
  const budgetOf = (m: number, n: number) => maskBudget(m, n, { rank: budgetRank });
  const specs: TargetSpec[] = [];
  for (let l = 0; l < layers; l++) {
    for (const mod of TARGET_MODULES) {
      const name = linearWeightName(l, mod);
      const [m, n] = linearShape(config, mod);
      specs.push({ name, rows: m, cols: n, source: tensor('float32', [m, n], weights.get(name)!) });
    }
  }
  const optimizer = new SparseAdamW();
  let targets: Awaited<ReturnType<typeof createTargets>> = [];

  // The trainer's path: createTargets selects the initial masks (the cold pass: sessions compile,
  // workers start), refreshTargets selects them anew (the refresh during training: the figure).
  // With one worker or none, the calling thread selects every mask, and the per-module split is timed.
  const pass = async (perModule?: Record<string, number>) => {
    const cpu0 = process.cpuUsage();
    const t0 = now();
    if (!targets.length) {
      targets = await createTargets(specs, sparseParametrization, { rank: budgetRank }, { strategy: defaultPath, maskRng: rng, initRng: rng, ops, ...(pool ? { pool } : {}) });
    } else if (pool || !perModule) {
      await refreshTargets(targets, { strategy: defaultPath, optimizer, rng, step: 1, ops, layout: backend.capabilities, ...(pool ? { pool } : {}) });
    } else {
      // inline: the same refresh, target by target, to split the time per module
      for (const t of targets) {
        const s = now();
        await refreshTargets([t], { strategy: defaultPath, optimizer, rng, step: 1, ops, layout: backend.capabilities });
        const mod = TARGET_MODULES.find((x) => t.name.includes(`.${x}.`))!;
        perModule[mod] = (perModule[mod] ?? 0) + now() - s;
      }
    }
    const cpu = process.cpuUsage(cpu0);
    return { masks: targetMasks(targets), seconds: now() - t0, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  };
  const cold = await pass();
  const perModuleSeconds: Record<string, number> = {};
  const warm = await pass(perModuleSeconds);

  const overlapRows = async (source: (layer: number, mod: TargetModule, m: number, n: number) => Promise<Float32Array>, useMasks?: Map<string, Int32Array>) => {
    const rows: OverlapRow[] = [];
    for (const [layer, mod] of SAMPLED) {
      if (layer >= layers) continue;
      const name = linearWeightName(layer, mod);
      const [m, n] = linearShape(config, mod);
      const w = tensor('float32', [m, n], await source(layer, mod, m, n));
      const k = budgetOf(m, n);
      const got = useMasks?.get(name) ?? (await defaultPath.select(w, k, { name, rng, step: 0, ops }));
      const t = now();
      const want = await exact.select(w, k, { name, rng, step: 0, ops });
      rows.push({ name, shape: [m, n], budget: k, overlap: overlapOf(got, want), exactSeconds: now() - t });
    }
    const ov = rows.map((r) => r.overlap);
    return { mean: ov.reduce((a, b) => a + b, 0) / Math.max(1, ov.length), min: Math.min(...ov), rows };
  };
  const doOverlap = spec.overlap ?? true;
  const overlapRandomInit = doOverlap ? await overlapRows(async (l, mod) => weights.get(linearWeightName(l, mod))!, warm.masks) : { mean: NaN, min: NaN, rows: [] };
  const overlapStructured = [];
  for (const alpha of doOverlap ? (spec.alphas ?? [1]) : []) {
    const srng = new Rng(100 + Math.round(alpha * 10));
    overlapStructured.push({ alpha, ...(await overlapRows((_l, _mod, m, n) => powerLawMatrix(ops, m, n, alpha, srng))) });
  }
  await ops.dispose();
  await backend.dispose();
  return {
    model: SMOL_135M.name,
    filterRank,
    budgetRank,
    matrices: layers * TARGET_MODULES.length,
    workers: pool?.size ?? 1,
    coldSeconds: cold.seconds,
    refreshSeconds: warm.seconds,
    refreshCpuSeconds: warm.cpuSeconds,
    perModuleSeconds,
    overlapRandomInit,
    overlapStructured,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}
