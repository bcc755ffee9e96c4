/**
 * One training measurement: the real Trainer (what users run) on a randomly initialized model,
 * timed step by step through its logger. Step k's time is the gap between the logger calls of
 * steps k−1 and k, so it holds the whole iteration: feeds, forward + backward in the runtime,
 * gradient clipping and the optimizer step on the host. Step 1 also holds the session compile
 * and is reported apart; the last step also writes the final checkpoint and is not timed.
 */
import { readFileSync, rmSync } from 'node:fs';
import { Container } from 'inversify';
import { OnnxRuntimeBackend, type OrtBackendOptions } from '../src/adapters/backends/onnxruntime/backend.js';
import { SafetensorsStore } from '../src/adapters/huggingface/tensor-store.js';
import { WorkerKernelRunner, type WorkerRunnerOptions } from '../src/adapters/parallel/worker-runner.js';
import { validateRunConfig } from '../src/core/config/validate.js';
import type { StepRecord, TensorStore, TrainingLogger } from '../src/core/contracts.js';
import { TOKENS } from '../src/core/di.js';
import type { KernelRunnerFactory } from '../src/core/parallel.js';
import { Registry } from '../src/core/registry.js';
import { FileCheckpointStore } from '../src/core/training/checkpoint.js';
import { Trainer } from '../src/core/training/trainer.js';
import { registerBuiltins } from '../src/plugins/index.js';
import { MODELS, fastInitWeights, stepFlops, syntheticExamples } from './models.js';
import { median } from './util.js';

/** magnitude trains exactly like lift (same sparse graph and optimizer) with a cheap mask: handy while developing. */
export type BenchMethod = 'full' | 'lora' | 'lift' | 'magnitude' | 'random';

export interface TrainingSpec {
  kind?: 'train';
  model: keyof typeof MODELS;
  method: BenchMethod;
  /**
   * Optimizer steps in all; the first `warmup` (at least 1: it compiles the session) and the last
   * (it writes the final checkpoint) are not timed.
   */
  steps: number;
  warmup: number;
  batch?: number;
  seq?: number;
  /** ONNX Runtime profile file prefix (profiling slows the steps; use for analysis only). */
  profilePrefix?: string;
  /** Backend options to compare (e.g. { bindInitializersFrom: Infinity } for the embedded-initializer baseline). */
  backend?: OrtBackendOptions;
  /** Host kernels (AdamW + fused clipping) on worker threads (default, as createLift binds them); false: on the main thread. */
  hostThreads?: WorkerRunnerOptions | false;
  /** Activation recomputation of the run (run config `recompute`); absent: the run config's default ('auto'). */
  recompute?: 'auto' | 'layers' | 'none';
  /** Hand the weights over to the run (TrainRequest.adoptWeights); default true, as train() does. false: the copy path, for comparison. */
  adoptWeights?: boolean;
}

export interface TrainingMeasurement {
  model: string;
  method: BenchMethod;
  methodOptions: Record<string, unknown>;
  batch: number;
  seq: number;
  tokensPerStep: number;
  /** Seconds from Trainer.train() to the start of the loop: weight copies and mask selection. */
  initSeconds: number;
  /** Seconds of step 1: session compile plus the first step. */
  firstStepSeconds: number;
  stepSeconds: number[];
  medianStepSeconds: number;
  tokensPerSecond: number;
  flopsPerStep: ReturnType<typeof stepFlops>;
  achievedGflops: number;
  trainableParams: number;
  optimizerStateBytes: number;
  maskBytes: number;
  /** The recomputation the run used ('auto' decided). */
  recompute: 'layers' | 'none';
  finalLoss: number;
  /** The loss of every step, in order (the check:cuda comparison of providers). */
  losses: number[];
  /** process.resourceUsage().maxRSS at the end, bytes (meaningful in a fresh process). */
  maxRssBytes: number;
  /** Resident bytes after the weights were made, at the loop's start, and after each step. */
  rssTrace: { weights: number; start: number; steps: number[] };
  /** Peak resident bytes so far (Linux VmHWM) at the same points: which phase set the peak. */
  peakTrace?: { weights: number; start: number; steps: number[] };
}

/** Method options of the benchmark: rank-16 budget for LIFT (k = (m+n)·16), LoRA r 16, α 32. */
export function methodOptions(method: BenchMethod): Record<string, unknown> {
  if (method === 'lift' || method === 'magnitude' || method === 'random') return { rank: 16, interval: 0 };
  if (method === 'lora') return { rank: 16, alpha: 32 };
  return {};
}

class StepClock implements TrainingLogger {
  readonly marks: number[] = [];
  /** Resident memory at each mark, bytes: where the peak builds up. */
  readonly rss: number[] = [];
  readonly hwm: number[] = [];
  readonly losses: number[] = [];
  start(): void {
    this.mark();
  }
  step(r: StepRecord): void {
    this.losses.push(r.loss);
    this.mark();
  }
  private mark(): void {
    this.marks.push(now());
    this.rss.push(process.memoryUsage.rss());
    this.hwm.push(peakRss());
  }
}

/** VmHWM of this process in bytes (0 where /proc is absent). */
function peakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const now = () => Number(process.hrtime.bigint()) / 1e9;

export async function measureTraining(spec: TrainingSpec): Promise<TrainingMeasurement> {
  const bm = MODELS[spec.model]!;
  const batch = spec.batch ?? bm.batch;
  const seq = spec.seq ?? bm.seq;
  const config = bm.config;
  const weights = fastInitWeights(config, 1);
  const train = syntheticExamples(config, batch * spec.steps, seq);
  const rssWeights = process.memoryUsage.rss();
  const hwmWeights = peakRss();
  // Checkpoints go to files, as train() writes them (safetensors, streamed from the tensors' own
  // memory): the peak is what a user's run has, not that of copies a memory store would keep.
  const outDir = `/tmp/lift-bench/${spec.model}-${spec.method}`;
  rmSync(outDir, { recursive: true, force: true });
  const store: TensorStore = new SafetensorsStore();
  const clock = new StepClock();
  const c = new Container();
  c.bind(TOKENS.Registry).toConstantValue(registerBuiltins(new Registry()));
  c.bind(TOKENS.Backend).toConstantValue(new OnnxRuntimeBackend({ ...spec.backend, ...(spec.profilePrefix ? { profileFilePrefix: spec.profilePrefix } : {}) }));
  c.bind(TOKENS.TensorStore).toConstantValue(store);
  c.bind(TOKENS.CheckpointStore).toConstantValue(new FileCheckpointStore(store));
  c.bind(TOKENS.TrainingLogger).toConstantValue(clock);
  if (spec.hostThreads !== false) {
    const threads = spec.hostThreads ?? {};
    c.bind<KernelRunnerFactory>(TOKENS.KernelRunnerFactory).toConstantValue(() => new WorkerKernelRunner(threads));
  }
  c.bind(Trainer).toSelf();
  const trainer = c.get(Trainer);
  const options = methodOptions(spec.method);
  const run = validateRunConfig({
    model: bm.name,
    data: { train: 'synthetic', maxLength: seq },
    method: { name: spec.method, options },
    optimizer: { lr: spec.method === 'full' ? 5e-5 : 2e-4 },
    schedule: { type: 'constant', warmupRatio: 0 },
    steps: spec.steps,
    batchSize: batch,
    evaluation: { generate: false },
    ...(spec.recompute ? { recompute: spec.recompute } : {}),
    output: { dir: outDir },
  });
  const t0 = now();
  // The weights are made for this run alone: hand them over, as train() does (no master copies).
  const res = await trainer.train({ run, model: { config, weights }, train, padTokenId: 0, adoptWeights: spec.adoptWeights ?? true });
  rmSync(outDir, { recursive: true, force: true });
  const m = clock.marks;
  const gaps = m.slice(1).map((t, i) => t - m[i]!);
  const warm = Math.max(1, spec.warmup);
  // The last step also writes the run's final checkpoint (the optimizer state is copied): not a training step's cost.
  const timed = gaps.slice(warm, Math.max(warm + 1, gaps.length - 1));
  const med = median(timed.length ? timed : gaps);
  const flops = stepFlops(config, batch, seq);
  return {
    model: bm.name,
    method: spec.method,
    methodOptions: options,
    batch,
    seq,
    tokensPerStep: batch * seq,
    initSeconds: m[0]! - t0,
    firstStepSeconds: gaps[0]!,
    stepSeconds: timed,
    medianStepSeconds: med,
    tokensPerSecond: (batch * seq) / med,
    flopsPerStep: flops,
    achievedGflops: flops.total / med / 1e9,
    trainableParams: res.trainableParams,
    optimizerStateBytes: res.optimizerStateBytes,
    maskBytes: res.maskBytes,
    recompute: res.recompute,
    finalLoss: res.finalLoss,
    losses: clock.losses,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    rssTrace: { weights: rssWeights, start: clock.rss[0]!, steps: clock.rss.slice(1) },
    ...(hwmWeights > 0 ? { peakTrace: { weights: hwmWeights, start: clock.hwm[0]!, steps: clock.hwm.slice(1) } } : {}),
  };
}
