/**
 * DenseOps on a compute backend: each product shape compiles one Gemm graph once, so the big
 * products of randomized SVD and low-rank reconstruction run in the runtime's BLAS, not in JS.
 * It also offers GramOps (X·Xᵀ as a float64 GEMM), which randomizedLowRank's Cholesky QR uses.
 */
import type { Backend, CompileOptions, DenseOps, Executable } from '../contracts.js';
import type { GramOps } from './svd.js';
import { Graph } from '../graph/graph.js';
import * as op from '../graph/ops.js';
import { tensor } from '../tensor.js';

export class BackendDenseOps implements DenseOps, GramOps {
  private readonly sessions = new Map<string, Promise<{ exe: Executable; out: string }>>();

  private readonly options: CompileOptions;

  /**
   * Sessions run single-threaded unless `options.intraOpThreads` says otherwise: the products
   * of a randomized SVD take milliseconds and alternate with host work (Cholesky, eigenvectors,
   * top-k), and a multi-threaded session's idle workers spin on the other cores meanwhile. On 2
   * cores that made the 135M-shaped mask refresh 3.7× slower (179 vs 48 ms per matrix).
   */
  constructor(
    private readonly backend: Backend,
    options: CompileOptions = {},
  ) {
    this.options = { ...options, intraOpThreads: options.intraOpThreads ?? 1 };
  }

  async matmul(
    a: Float32Array,
    aShape: readonly [number, number],
    b: Float32Array,
    bShape: readonly [number, number],
    opts: { transA?: boolean; transB?: boolean } = {},
  ): Promise<Float32Array> {
    const key = `${aShape}|${bShape}|${opts.transA ? 1 : 0}${opts.transB ? 1 : 0}`;
    let entry = this.sessions.get(key);
    if (!entry) {
      const g = new Graph('dense_matmul');
      const x = g.input('a', 'float32', aShape);
      const y = g.input('b', 'float32', bShape);
      const c = op.gemm(x, y, undefined, { transA: opts.transA, transB: opts.transB });
      entry = this.backend.compile(g, [c], this.options).then((exe) => ({ exe, out: c.name }));
      this.sessions.set(key, entry);
    }
    const { exe, out } = await entry;
    const res = await exe.run({ a: tensor('float32', aShape, a), b: tensor('float32', bShape, b) });
    return res[out]!.data as Float32Array;
  }

  /** X·Xᵀ in float64 for row-major float32 X [rows, cols]: the input is cast, the GEMM runs in double. */
  async gram(x: Float32Array, rows: number, cols: number): Promise<Float64Array> {
    const key = `gram|${rows},${cols}`;
    let entry = this.sessions.get(key);
    if (!entry) {
      const g = new Graph('dense_gram');
      const a = op.cast(g.input('a', 'float32', [rows, cols]), 'float64');
      const c = op.gemm(a, a, undefined, { transB: true });
      entry = this.backend.compile(g, [c], this.options).then((exe) => ({ exe, out: c.name }));
      this.sessions.set(key, entry);
    }
    const { exe, out } = await entry;
    const res = await exe.run({ a: tensor('float32', [rows, cols], x) });
    return res[out]!.data as Float64Array;
  }

  async dispose(): Promise<void> {
    for (const e of this.sessions.values()) await (await e).exe.dispose();
    this.sessions.clear();
  }
}
