/**
 * KernelRunner on Node worker threads (core/parallel.ts): the calling thread and `workers` worker
 * threads share a step's tasks. Each task runs whole on one thread, so results are those of the
 * inline runner bit for bit; tasks are placed longest first on the least loaded thread, a
 * worker first on ties, and tasks under `minWorkerElements` never leave the calling thread.
 *
 * How a task's arrays reach a worker:
 * - shared: allocate() gives SharedArrayBuffer memory (optimizer moments), seen by every thread;
 * - consumed (the runtime's fresh gradients): moved (transferred, zero-copy), handed back after;
 * - anything else (parameters: onnxruntime-node refuses SharedArrayBuffer inputs, and they are fed
 *   in place every step): copied into a shared mirror kept per array before the job and copied
 *   back after — two memcpys, far cheaper than the update itself.
 *
 * The worker threads are a WorkerTaskPool (adapters/workers, the one worker-thread implementation)
 * of `workers` threads; each worker's share of a step is one call of runKernelJob (kernel-job.ts).
 * The pool's threads are unref'd while idle (they never keep a process alive) and ref'd while a
 * job is out. A kernel's exception, a worker's error or its exit reject the job with KernelError;
 * a runner whose worker died refuses further jobs.
 */
import { availableParallelism } from 'node:os';
import { type ElementwiseTask, type KernelRef, type KernelRunner, KernelError, runInline } from '../../core/parallel.js';
import { WorkerTaskPool } from '../workers/pool.js';
import { type KernelJob, kernelJobRef } from './kernel-job.js';

export interface WorkerRunnerOptions {
  /** Worker threads beside the calling thread (default: available cores − 1, at least 1). */
  workers?: number;
  /** Tasks with fewer elements stay on the calling thread (default DEFAULT_MIN_WORKER_ELEMENTS). */
  minWorkerElements?: number;
}

/**
 * Default of minWorkerElements. A job costs a message each way (a fraction of a millisecond) and
 * the copies of its parameter mirrors, against ≈ 8 ns per fused AdamW element on one core: below
 * ~64 Ki elements a task is not worth moving. LoRA r16 and LIFT r16 vectors (16–30 Ki) stay on the
 * main thread (docs/performance.md, "Host optimizer and clipping on both cores").
 */
export const DEFAULT_MIN_WORKER_ELEMENTS = 64 * 1024;

export class WorkerKernelRunner implements KernelRunner {
  readonly threads: number;
  private readonly minWorker: number;
  private readonly pool: WorkerTaskPool;
  private readonly mirrors = new WeakMap<Float32Array, Float32Array>();
  private broken?: KernelError;
  private disposed = false;

  constructor(options: WorkerRunnerOptions = {}) {
    const workers = options.workers ?? Math.max(1, availableParallelism() - 1);
    if (!Number.isInteger(workers) || workers < 0) throw new KernelError(`workers must be an integer ≥ 0; got ${workers}`);
    this.threads = workers + 1;
    this.minWorker = options.minWorkerElements ?? DEFAULT_MIN_WORKER_ELEMENTS;
    this.pool = new WorkerTaskPool({
      size: Math.max(1, workers),
      name: 'lift-sft kernel',
      onThreadFailure: (why) => void (this.broken ??= new KernelError(`a kernel worker thread ${why}; the runner cannot continue`)),
    });
  }

  allocate(length: number): Float32Array {
    return new Float32Array(new SharedArrayBuffer(length * Float32Array.BYTES_PER_ELEMENT));
  }

  async run(kernel: KernelRef, tasks: readonly ElementwiseTask[]): Promise<void> {
    if (this.disposed) throw new KernelError('the kernel runner was disposed');
    if (this.broken) throw this.broken;
    const plan = this.place(tasks);
    const jobs: Promise<unknown>[] = [];
    const copyBack: [Float32Array, Float32Array][] = [];
    for (const mine of plan.slice(1)) {
      if (mine.length === 0) continue;
      const job: KernelJob = { module: kernel.module, name: kernel.name, tasks: [] };
      const transfer: ArrayBuffer[] = [];
      for (const t of mine) {
        const consumed = new Set(t.consumed ?? []);
        const arrays = t.arrays.map((a, i) => {
          if (a.buffer instanceof SharedArrayBuffer) return a;
          if (consumed.has(i)) {
            transfer.push(a.buffer);
            return a;
          }
          const mirror = this.mirror(a);
          mirror.set(a);
          copyBack.push([a, mirror]);
          return mirror;
        });
        job.tasks.push({ arrays, scalars: t.scalars, consumed: [...consumed] });
      }
      jobs.push(this.pool.run(kernelJobRef(job), transfer));
    }
    // the calling thread's share, while the workers run theirs
    let failure: unknown;
    try {
      runInline(kernel, plan[0]!);
    } catch (e) {
      failure = e;
    }
    const settled = await Promise.allSettled(jobs);
    if (failure) throw failure;
    const rejected = settled.find((s) => s.status === 'rejected');
    if (rejected) throw this.failure(kernel, (rejected as PromiseRejectedResult).reason);
    for (const [a, mirror] of copyBack) a.set(mirror);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.pool.dispose();
  }

  /** A worker's job failed: the thread died, the runner was disposed, or the kernel threw. */
  private failure(kernel: KernelRef, e: unknown): KernelError {
    if (this.broken) return this.broken;
    if (this.disposed) return new KernelError('the kernel runner was disposed while a job ran');
    if (e instanceof KernelError) return e;
    const err = e as Error;
    return new KernelError(`kernel '${kernel.name}' failed on a worker thread: ${err?.message ?? String(e)}`, { kernel: kernel.name, stack: err?.stack ?? '' });
  }

  /** Tasks per thread (index 0: the calling thread), longest first onto the least loaded. */
  private place(tasks: readonly ElementwiseTask[]): ElementwiseTask[][] {
    const plan: ElementwiseTask[][] = Array.from({ length: this.threads }, () => []);
    const load = new Array<number>(this.threads).fill(0);
    const order = tasks.map((t, i) => ({ t, i, n: t.arrays[0]?.length ?? 0 })).sort((a, b) => b.n - a.n || a.i - b.i);
    const moving = new Set<ArrayBufferLike>();
    for (const { t, n } of order) {
      let w = 0;
      if (n >= this.minWorker && this.movable(t, moving)) {
        // the least loaded worker; this thread only if it is less loaded still (it also copies the mirrors)
        let k = 1;
        for (let j = 2; j < this.threads; j++) if (load[j]! < load[k]!) k = j;
        if (k < this.threads && load[k]! <= load[0]!) w = k;
      }
      if (w > 0) for (const i of t.consumed ?? []) moving.add(t.arrays[i]!.buffer);
      plan[w]!.push(t);
      load[w]! += n;
    }
    return plan;
  }

  /** Whether every consumed array owns its whole buffer, met by no other task on the move (else the task stays here). */
  private movable(t: ElementwiseTask, moving: ReadonlySet<ArrayBufferLike>): boolean {
    const seen = new Set<ArrayBufferLike>();
    for (const i of t.consumed ?? []) {
      const a = t.arrays[i];
      if (!a || a.buffer instanceof SharedArrayBuffer) continue;
      if (a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength || seen.has(a.buffer) || moving.has(a.buffer)) return false;
      seen.add(a.buffer);
    }
    // an array listed twice in one task, or also not consumed, cannot be both moved and kept
    for (const [i, a] of t.arrays.entries()) if (!(t.consumed ?? []).includes(i) && seen.has(a.buffer)) return false;
    return true;
  }

  private mirror(a: Float32Array): Float32Array {
    let m = this.mirrors.get(a);
    if (!m || m.length !== a.length) this.mirrors.set(a, (m = this.allocate(a.length)));
    return m;
  }
}
