/**
 * The host work of one full-FT step on the bench model's shapes (25.3 M values in 56 vectors),
 * without the graph: the two-pass form (clipGlobalNorm in place, then AdamW.step) against the
 * fused stepOn on the calling thread and on worker threads. Prints wall and CPU milliseconds per
 * step (CPU of all threads) and a hash of the parameters and moments, which must be the same for
 * all three. `npx tsx bench/host-step.ts [two-pass|inline|workers] [minWorkerElements]`; LIFT_SHAPES=1
 * for LIFT r16's sizes.
 */
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { WorkerKernelRunner } from '../src/adapters/parallel/worker-runner.js';
import { InlineKernelRunner } from '../src/core/parallel.js';
import { clipGlobalNorm, clipScale, globalNorm } from '../src/core/training/clip.js';
import { AdamW } from '../src/plugins/adamw/index.js';
import { BENCH_MODEL } from './models.js';

const mode = process.argv[2] ?? 'workers';
const minWorkerElements = process.argv[3] ? Number(process.argv[3]) : undefined;
const { hiddenSize: H, intermediateSize: I, numHiddenLayers: L } = BENCH_MODEL.config;
const sizes: number[] = [];
// LIFT_SHAPES=1: the k = (m+n)·16 values per matrix LIFT r16 trains (the same count as LoRA r16's A and B)
const lift = process.env.LIFT_SHAPES === '1';
for (let l = 0; l < L; l++) {
  if (lift) sizes.push(...[0, 0, 0, 0].map(() => (H + H) * 16), ...[0, 0, 0].map(() => (I + H) * 16));
  else sizes.push(H * H, H * H, H * H, H * H, I * H, I * H, I * H);
}
let seed = 1;
const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5;
const params = new Map(sizes.map((n, i) => [`w${i}`, Float32Array.from({ length: n }, () => rnd() * 0.04)]));
const gradSets = [0, 1].map(() => sizes.map((n) => Float32Array.from({ length: n }, () => rnd() * 0.01)));
const opt = new AdamW();
const runner = mode === 'workers' ? new WorkerKernelRunner(minWorkerElements === undefined ? {} : { minWorkerElements }) : new InlineKernelRunner();
const wall: number[] = [];
const cpu: number[] = [];
for (let s = 0; s < 7; s++) {
  // fresh gradients every step, as the runtime returns them (not timed)
  const grads = new Map(sizes.map((_, i) => [`w${i}`, Float32Array.from(gradSets[s % 2]![i]!)]));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  if (mode === 'two-pass') {
    clipGlobalNorm([...grads.values()], 1);
    opt.step(params, grads, 5e-5);
  } else {
    const norm = globalNorm(grads.values());
    await opt.stepOn(runner, params, grads, 5e-5, clipScale(norm, 1));
  }
  wall.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
}
await runner.dispose();
const h = createHash('sha256');
for (const p of params.values()) h.update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
for (const s of Object.values(opt.state().params)) for (const b of Object.values(s.buffers)) h.update(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
// step 1 also starts the workers and compiles the kernel: reported, not in the median
console.log(
  JSON.stringify({
    mode,
    ...(lift ? { shapes: 'lift' } : {}),
    ...(minWorkerElements !== undefined ? { minWorkerElements } : {}),
    values: sizes.reduce((a, b) => a + b, 0),
    medianMs: Math.round(med(wall.slice(1))),
    medianCpuMs: Math.round(med(cpu.slice(1))),
    wallMs: wall.map(Math.round),
    cpuMs: cpu.map(Math.round),
    hash: h.digest('hex').slice(0, 16),
    load: loadavg().map((x) => x.toFixed(2)).join(' '),
  }),
);
