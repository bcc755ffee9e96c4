/**
 * npm run check:cuda — lift-sft on ONNX Runtime's CUDA provider, ready to run on a GPU machine.
 *
 * 1. Preflight: an NVIDIA GPU (nvidia-smi, or /proc/driver/nvidia/gpus), the CUDA provider
 *    library of onnxruntime-node, and a one-node session that really loads on CUDA. Whatever is
 *    missing, it prints ONE line saying what and how to install it, and exits 1.
 * 2. For the bench model and the SmolLM2-135M-shaped model, every method (full, LoRA r 16, LIFT,
 *    magnitude, random at the rank-16 budget) trains a few steps on CPU and on CUDA (backend
 *    'onnxruntime-cuda'), each run in a fresh child process (bench/child.ts) from the same seed,
 *    data and weights. The per-step losses must agree to 1e-3 (absolute).
 * 3. For each CUDA run: tokens/s (median of the steps after the first) and the child's peak
 *    device memory (nvidia-smi --query-compute-apps, polled every 200 ms).
 *
 * CUDA children run with NVIDIA_TF32_OVERRIDE=0 (fp32 GEMMs, not TF32: this is an fp32 check);
 * --tf32 keeps the library's default.
 * Options: --models=bench,smol --methods=full,lora,lift,magnitude,random --steps=4 --tol=1e-3
 *   --provider-dir=DIR (where the CUDA provider library should be; default onnxruntime-node's bin)
 *   --dry-run-on-cpu (skip the preflight and run the "device" side on CPU too: tests the plumbing,
 *   the losses must agree exactly).
 * Writes bench/results/check-cuda.json. Exit 0 when every loss agrees, 1 otherwise.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CUDA_INSTALL_HINT, cudaProviderPath, ortBinaryDir } from '../src/adapters/backends/onnxruntime/cuda.js';
import type { BenchMethod, TrainingMeasurement, TrainingSpec } from './train-step.js';
import { machine, runJsonChild, writeResult } from './util.js';

export const DOCS = 'docs/performance.md, "CUDA"';

/** What the preflight looks at; injected in tests. */
export interface CudaProbe {
  /** nvidia-smi's GPU list, or why there is none ('missing': not on PATH; 'failed': it ran and failed). */
  nvidiaSmi(): { ok: true; gpus: string[] } | { ok: false; reason: 'missing' | 'failed'; detail: string };
  /** Whether the kernel driver lists GPUs (/proc/driver/nvidia/gpus), for containers without nvidia-smi. */
  driverGpus(): boolean;
  /** Path of the provider library to look for. */
  providerLibrary(): string;
  exists(path: string): boolean;
}

export type Preflight = { ok: true; gpus: string[]; nvidiaSmi: boolean } | { ok: false; line: string };

/** The first thing missing, as the one line the command prints. */
export function preflight(probe: CudaProbe): Preflight {
  const smi = probe.nvidiaSmi();
  const lib = probe.providerLibrary();
  const providerMissing = !probe.exists(lib);
  const providerNote = providerMissing ? `; the ONNX Runtime CUDA provider is missing too (${lib}): ${CUDA_INSTALL_HINT}` : '';
  if (!smi.ok && !probe.driverGpus()) {
    const why = smi.reason === 'missing' ? 'nvidia-smi is not on PATH and /proc/driver/nvidia/gpus is absent' : `nvidia-smi failed: ${smi.detail}`;
    return {
      ok: false,
      line: `check:cuda: no NVIDIA GPU found (${why}); run it on a machine with an NVIDIA GPU and its driver installed${providerNote} (see ${DOCS})`,
    };
  }
  if (smi.ok && smi.gpus.length === 0) return { ok: false, line: `check:cuda: nvidia-smi lists no GPU; check the NVIDIA driver${providerNote} (see ${DOCS})` };
  if (providerMissing) {
    return { ok: false, line: `check:cuda: the ONNX Runtime CUDA execution provider is not installed (${lib} is missing); ${CUDA_INSTALL_HINT} (see ${DOCS})` };
  }
  return { ok: true, gpus: smi.ok ? smi.gpus : ['(GPU listed by the driver; nvidia-smi absent: no device-memory figures)'], nvidiaSmi: smi.ok };
}

export function systemProbe(providerDir = ortBinaryDir()): CudaProbe {
  return {
    nvidiaSmi() {
      const r = spawnSync('nvidia-smi', ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader'], { encoding: 'utf8', timeout: 20_000 });
      if (r.error) return (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? { ok: false, reason: 'missing', detail: '' } : { ok: false, reason: 'failed', detail: r.error.message };
      if (r.status !== 0) return { ok: false, reason: 'failed', detail: (r.stderr || r.stdout).trim().split('\n')[0] ?? `exit ${r.status}` };
      return { ok: true, gpus: r.stdout.trim().split('\n').filter(Boolean) };
    },
    driverGpus: () => existsSync('/proc/driver/nvidia/gpus'),
    providerLibrary: () => cudaProviderPath(providerDir),
    exists: existsSync,
  };
}

/** Largest |a_i − b_i| over the common steps (NaN where the lengths differ or a loss is not finite). */
export function maxLossDifference(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length === 0) return NaN;
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Math.abs(a[i]! - b[i]!);
    if (!Number.isFinite(x)) return NaN;
    d = Math.max(d, x);
  }
  return d;
}

/** Peak device memory (MiB) of one process, polled through nvidia-smi while it runs. */
class DeviceMemoryPoller {
  peakMiB = NaN;
  private timer?: NodeJS.Timeout;
  constructor(private readonly pid: number) {}
  start(): void {
    const poll = () => {
      const r = spawnSync('nvidia-smi', ['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits'], { encoding: 'utf8', timeout: 5000 });
      if (r.status === 0) {
        for (const line of r.stdout.split('\n')) {
          const [pid, used] = line.split(',').map((s) => Number(s.trim()));
          if (pid === this.pid && Number.isFinite(used)) this.peakMiB = Number.isFinite(this.peakMiB) ? Math.max(this.peakMiB, used!) : used!;
        }
      }
    };
    this.timer = setInterval(poll, 200);
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

async function runChild(spec: TrainingSpec, env: NodeJS.ProcessEnv, pollMemory: boolean): Promise<{ m: TrainingMeasurement; deviceMiB: number }> {
  let poller: DeviceMemoryPoller | undefined;
  const label = `${spec.model} ${spec.method} on ${spec.backend?.executionProvider ?? 'cpu'}`;
  try {
    const m = await runJsonChild<TrainingMeasurement>(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'child.ts'), JSON.stringify(spec)], label, {
      env,
      onSpawn: (child) => {
        if (pollMemory && child.pid) (poller = new DeviceMemoryPoller(child.pid)).start();
      },
    });
    return { m, deviceMiB: poller?.peakMiB ?? NaN };
  } finally {
    poller?.stop();
  }
}

/** Loads a one-node graph on CUDA: the provider library is there, but do its CUDA/cuDNN libraries load? */
async function cudaLoads(): Promise<string | null> {
  const { OnnxRuntimeBackend } = await import('../src/adapters/backends/onnxruntime/backend.js');
  const { Graph } = await import('../src/core/graph/graph.js');
  const op = await import('../src/core/graph/ops.js');
  const { tensor } = await import('../src/core/tensor.js');
  try {
    const g = new Graph('cuda_probe');
    const x = g.input('x', 'float32', [2]);
    const y = op.add(x, x);
    const exe = await new OnnxRuntimeBackend({ executionProvider: 'cuda' }).compile(g, [y]);
    const r = await exe.run({ x: tensor('float32', [2], Float32Array.of(1, 2)) });
    await exe.dispose();
    const v = r[y.name]!.data as Float32Array;
    return v[0] === 2 && v[1] === 4 ? null : `a test Add on CUDA gave ${Array.from(v)}`;
  } catch (e) {
    return (e as Error).message.split('\n')[0]!;
  }
}

interface Row {
  model: string;
  method: BenchMethod;
  cpuLosses: number[];
  deviceLosses: number[];
  maxAbsDiff: number;
  pass: boolean;
  cpuTokensPerSecond: number;
  deviceTokensPerSecond: number;
  deviceFirstStepSeconds: number;
  devicePeakMiB: number;
  deviceHostPeakRssMiB: number;
  error?: string;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
  const dry = args.includes('--dry-run-on-cpu');
  const providerDir = args.find((a) => a.startsWith('--provider-dir='))?.slice(15);
  const models = opt('models', 'bench,smol').split(',') as TrainingSpec['model'][];
  const methods = opt('methods', 'full,lora,lift,magnitude,random').split(',') as BenchMethod[];
  const steps = Number(opt('steps', '4'));
  const tol = Number(opt('tol', '1e-3'));

  let gpus: string[] = ['(dry run: CPU on both sides)'];
  let smi = false;
  if (!dry) {
    const pre = preflight(systemProbe(providerDir));
    if (!pre.ok) {
      console.error(pre.line);
      return 1;
    }
    gpus = pre.gpus;
    smi = pre.nvidiaSmi;
    const loadError = await cudaLoads();
    if (loadError) {
      console.error(`check:cuda: the CUDA provider is installed but a session on it failed (${loadError}); it needs the CUDA 12 runtime, cuBLAS and cuDNN 9 on the library path (LD_LIBRARY_PATH) (see ${DOCS})`);
      return 1;
    }
  }
  console.log(`check:cuda on ${gpus.join('; ')}${dry ? '' : args.includes('--tf32') ? ' (TF32 allowed)' : ' (NVIDIA_TF32_OVERRIDE=0)'}`);
  const deviceEnv: NodeJS.ProcessEnv = { ...process.env, ...(dry || args.includes('--tf32') ? {} : { NVIDIA_TF32_OVERRIDE: '0' }) };
  const rows: Row[] = [];
  for (const model of models) {
    for (const method of methods) {
      const base: TrainingSpec = { kind: 'train', model, method, steps, warmup: 1 };
      try {
        const cpu = await runChild(base, process.env, false);
        const dev = await runChild({ ...base, backend: { executionProvider: dry ? 'cpu' : 'cuda' } }, deviceEnv, smi);
        const d = maxLossDifference(cpu.m.losses, dev.m.losses);
        rows.push({
          model: cpu.m.model,
          method,
          cpuLosses: cpu.m.losses,
          deviceLosses: dev.m.losses,
          maxAbsDiff: d,
          pass: d <= tol,
          cpuTokensPerSecond: cpu.m.tokensPerSecond,
          deviceTokensPerSecond: dev.m.tokensPerSecond,
          deviceFirstStepSeconds: dev.m.firstStepSeconds,
          devicePeakMiB: dev.deviceMiB,
          deviceHostPeakRssMiB: dev.m.maxRssBytes / 2 ** 20,
        });
      } catch (e) {
        rows.push({ model, method, cpuLosses: [], deviceLosses: [], maxAbsDiff: NaN, pass: false, cpuTokensPerSecond: NaN, deviceTokensPerSecond: NaN, deviceFirstStepSeconds: NaN, devicePeakMiB: NaN, deviceHostPeakRssMiB: NaN, error: (e as Error).message });
      }
      const r = rows.at(-1)!;
      console.log(
        r.error
          ? `  ${model} ${method}: ERROR ${r.error}`
          : `  ${r.model} ${method}: |Δloss| ≤ ${r.maxAbsDiff.toExponential(2)} ${r.pass ? 'PASS' : 'FAIL'}; CPU ${r.cpuTokensPerSecond.toFixed(0)} tok/s, ${dry ? 'CPU again' : 'CUDA'} ${r.deviceTokensPerSecond.toFixed(0)} tok/s, device peak ${Number.isFinite(r.devicePeakMiB) ? r.devicePeakMiB.toFixed(0) + ' MiB' : 'n/a'}`,
      );
    }
  }
  const path = writeResult(dry ? 'check-cuda-dry' : 'check-cuda', { createdAt: new Date().toISOString(), machine: machine(), gpus, dry, tol, steps, tf32: args.includes('--tf32'), rows });
  console.log('');
  console.log('model               method       max |Δloss|   result   CPU tok/s   CUDA tok/s   CUDA first step s   device peak MiB   host peak RSS MiB');
  for (const r of rows) {
    const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
    console.log(
      `${r.model.padEnd(19)} ${r.method.padEnd(10)} ${(Number.isFinite(r.maxAbsDiff) ? r.maxAbsDiff.toExponential(2) : 'n/a').padStart(13)}   ${(r.pass ? 'PASS' : 'FAIL').padEnd(6)} ${f(r.cpuTokensPerSecond).padStart(11)} ${f(r.deviceTokensPerSecond).padStart(12)} ${f(r.deviceFirstStepSeconds, 1).padStart(19)} ${f(r.devicePeakMiB).padStart(17)} ${f(r.deviceHostPeakRssMiB).padStart(19)}`,
    );
  }
  console.log(`\nwrote ${path}`);
  return rows.every((r) => r.pass) ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = await main();
