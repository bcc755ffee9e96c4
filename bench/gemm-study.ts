/**
 * npm run bench:gemm — why the full fine-tuning step runs below the machine's best GEMM rate:
 * ONNX Runtime's fp32 products at the shapes the bench model's training step multiplies (batch
 * 4 × 256 = 1024 tokens, hidden 512, MLP 1376, vocabulary 8192), in the forms the runtime can be
 * given them, next to torch.mm (OpenBLAS) on the same shapes when torch is installed:
 *
 * - `matmul`: MatMul with both operands fed (what training does: weights change every step);
 * - `gemm-tB`: Gemm with B fed transposed ([N, K], the layout a Linear's weight has);
 * - `prepacked`: MatMul with B an initializer embedded in the model, which MLAS packs once at
 *   session creation (what inference gets; not available to a weight that trains);
 * - `1 thread`: the fed MatMul on one intra-op thread (×2 = what perfect scaling would give);
 * - `no spin`: the fed MatMul with session.intra_op.allow_spinning off.
 *
 * Writes bench/results/gemm-study.json.
 */
import { OnnxRuntimeBackend, type OrtBackendOptions } from '../src/adapters/backends/onnxruntime/backend.js';
import { Graph } from '../src/core/graph/graph.js';
import * as op from '../src/core/graph/ops.js';
import { Rng } from '../src/core/rng.js';
import { tensor } from '../src/core/tensor.js';
import { type TorchGemm, findTorchPython, runTorch } from './pytorch.js';
import { machine, median, timeRuns, writeResult } from './util.js';

type Variant = 'matmul' | 'gemm-tB' | 'prepacked' | '1 thread' | 'no spin';
const VARIANTS: Variant[] = ['matmul', 'gemm-tB', 'prepacked', '1 thread', 'no spin'];

/** [M, K, N, what] of the bench model's full-FT step (forward, dX and dW products). */
const SHAPES: [number, number, number, string][] = [
  [1024, 512, 512, 'q/k/v/o forward, dX'],
  [1024, 512, 1376, 'gate/up forward'],
  [1024, 1376, 512, 'down forward, gate/up dX'],
  [1024, 512, 8192, 'LM head forward'],
  [1024, 8192, 512, 'LM head dX'],
  [512, 1024, 1376, 'gate/up/down dW'],
  [512, 1024, 512, 'q/k/v/o dW'],
  [8192, 1024, 512, 'LM head dW'],
  [1024, 1024, 1024, 'square (the peak)'],
];

const repeatsFor = (m: number, k: number, n: number) => Math.max(5, Math.min(40, Math.round(4e9 / (2 * m * k * n))));

async function rate(m: number, k: number, n: number, variant: Variant): Promise<number> {
  const options: OrtBackendOptions = {
    intraOpThreads: variant === '1 thread' ? 1 : 2,
    ...(variant === 'no spin' ? { allowSpinning: false } : {}),
    ...(variant === 'prepacked' ? { bindInitializersFrom: Infinity } : {}),
    taskThreads: 0,
  };
  const backend = new OnnxRuntimeBackend(options);
  const rng = new Rng(7);
  const randn = (len: number) => Float32Array.from({ length: len }, () => rng.normal());
  const g = new Graph(`gemm_${m}x${k}x${n}`);
  const a = g.input('a', 'float32', [m, k]);
  const feeds: Record<string, ReturnType<typeof tensor>> = { a: tensor('float32', [m, k], randn(m * k)) };
  let c;
  if (variant === 'gemm-tB') {
    const b = g.input('b', 'float32', [n, k]);
    feeds.b = tensor('float32', [n, k], randn(n * k));
    c = op.gemm(a, b, undefined, { transB: true });
  } else if (variant === 'prepacked') {
    c = op.matmul(a, g.initializer('b', tensor('float32', [k, n], randn(k * n))));
  } else {
    const b = g.input('b', 'float32', [k, n]);
    feeds.b = tensor('float32', [k, n], randn(k * n));
    c = op.matmul(a, b);
  }
  const exe = await backend.compile(g, [c]);
  const times = await timeRuns(() => exe.run(feeds), repeatsFor(m, k, n), 3);
  await exe.dispose();
  await backend.dispose();
  return (2 * m * k * n) / median(times) / 1e9;
}

const torchPy = process.argv.includes('--no-torch') ? null : findTorchPython();
const rows: { m: number; k: number; n: number; what: string; ort: Record<Variant, number>; torch?: number }[] = [];
for (const [m, k, n, what] of SHAPES) {
  const ort = {} as Record<Variant, number>;
  for (const v of VARIANTS) ort[v] = await rate(m, k, n, v);
  rows.push({ m, k, n, what, ort });
}
if (torchPy) {
  const t = await runTorch<TorchGemm>(torchPy.python, { method: 'gemm', threads: 2, shapes: SHAPES.map(([m, k, n]) => [m, k, n, repeatsFor(m, k, n)]) });
  t.peaks.forEach((p, i) => (rows[i]!.torch = p.gflops));
}

const head = ['M×K×N', ...VARIANTS, 'torch.mm', 'ORT/torch', 'what'];
console.log(`GFLOP/s, fp32, 2 threads unless said (${machine().cpuModel})`);
console.log(head.map((h, i) => (i === 0 ? h.padEnd(16) : i === head.length - 1 ? h : h.padStart(10))).join(' '));
for (const r of rows) {
  const best = Math.max(r.ort.matmul, r.ort['gemm-tB']);
  console.log(
    [
      `${r.m}×${r.k}×${r.n}`.padEnd(16),
      ...VARIANTS.map((v) => r.ort[v].toFixed(1).padStart(10)),
      (r.torch?.toFixed(1) ?? 'n/a').padStart(10),
      (r.torch ? (best / r.torch).toFixed(2) : 'n/a').padStart(10),
      r.what,
    ].join(' '),
  );
}
const path = writeResult('gemm-study', { benchmark: 'gemm-study', createdAt: new Date().toISOString(), machine: machine(), torch: torchPy?.version ?? null, rows });
console.log(`wrote ${path}`);
