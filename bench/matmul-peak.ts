/** ONNX Runtime CPU dense fp32 MatMul rate: the peak that utilization figures are measured against. */
import { OnnxRuntimeBackend } from '../src/adapters/backends/onnxruntime/backend.js';
import { Graph } from '../src/core/graph/graph.js';
import * as op from '../src/core/graph/ops.js';
import { Rng } from '../src/core/rng.js';
import { tensor } from '../src/core/tensor.js';
import { median, timeRuns } from './util.js';

export interface MatmulPeak {
  m: number;
  k: number;
  n: number;
  medianSeconds: number;
  gflops: number;
  runs: number;
}

export async function matmulPeak(backend: OnnxRuntimeBackend, m: number, k: number, n: number, repeats = 15): Promise<MatmulPeak> {
  const g = new Graph(`matmul_${m}x${k}x${n}`);
  const a = g.input('a', 'float32', [m, k]);
  const b = g.input('b', 'float32', [k, n]);
  const c = op.matmul(a, b);
  const exe = await backend.compile(g, [c]);
  const rng = new Rng(1);
  // Inputs are created once: the loop measures the runtime, not host allocation.
  const feeds = {
    a: tensor('float32', [m, k], Float32Array.from({ length: m * k }, () => rng.normal())),
    b: tensor('float32', [k, n], Float32Array.from({ length: k * n }, () => rng.normal())),
  };
  const times = await timeRuns(() => exe.run(feeds), repeats);
  await exe.dispose();
  const med = median(times);
  return { m, k, n, medianSeconds: med, gflops: (2 * m * k * n) / med / 1e9, runs: repeats };
}
