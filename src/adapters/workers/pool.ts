/**
 * TaskPool on Node worker threads (core/tasks.ts): `size` threads (default: the cores), started
 * on first use, each running task-worker.ts with the pool's setup (e.g. DenseOps of the backend).
 * One call at a time per thread, in the order calls arrive. The one worker-thread implementation
 * of lift-sft: the onnxruntime-node backend's mask pool and WorkerKernelRunner
 * (adapters/parallel/worker-runner.ts) are both instances of it.
 *
 * Threads never keep the process alive: a thread is ref'd only while it runs a call (so an
 * awaited call cannot be cut short by the process exiting) and unref'd when idle. dispose()
 * terminates them. A call's error is revived as the same typed error the calling thread would
 * have thrown; a thread that dies fails its call with a BackendError and is replaced on the next.
 *
 * Under tsx (sources run as .ts, as in the tests and benchmarks) a worker does not inherit the
 * TypeScript loader on Node 20, so the thread first registers tsx's loader, then imports the
 * worker module; built code (.js) starts the worker module directly.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BackendError } from '../../core/errors.js';
import { type PortableRef, type SerializedError, type TaskPool, reviveError } from '../../core/tasks.js';

export interface WorkerTaskPoolOptions {
  /** Threads (default: availableParallelism(), the cores). */
  size?: number;
  /** Called once per thread as `export(options)`; its result is every call's `env`. */
  setup?: PortableRef;
  /** TaskPool.minElements: smaller mask batches run inline. Default 4 Mi elements. */
  minElements?: number;
  /** The threads' names (`${name} 1`, `${name} 2`, ...: what a debugger or profiler shows). */
  name?: string;
  /**
   * Told when a thread dies (an error or exit other than dispose()'s), with why ("exited (code
   * 3)"), before the call it ran is rejected; the pool itself goes on with a new thread.
   */
  onThreadFailure?: (reason: string) => void;
}

/** Default TaskPool.minElements: the bundled model's 28 matrices (1.6 M elements) stay inline. */
export const DEFAULT_POOL_MIN_ELEMENTS = 4 << 20;

interface Job {
  call: PortableRef;
  transfer: readonly ArrayBuffer[];
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

interface Thread {
  worker: Worker;
  job?: Job;
  id: number;
}

const WORKER_TS = new URL('./task-worker.ts', import.meta.url);
const WORKER_JS = new URL('./task-worker.js', import.meta.url);

export class WorkerTaskPool implements TaskPool {
  readonly size: number;
  readonly minElements: number;
  private readonly threads: Thread[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private disposed = false;

  constructor(private readonly options: WorkerTaskPoolOptions = {}) {
    this.size = Math.max(1, Math.floor(options.size ?? availableParallelism()));
    this.minElements = options.minElements ?? DEFAULT_POOL_MIN_ELEMENTS;
  }

  /** Threads started so far (they start on first use). */
  get started(): number {
    return this.threads.length;
  }

  run<T>(call: PortableRef, transfer: readonly ArrayBuffer[] = []): Promise<T> {
    if (this.disposed) return Promise.reject(new BackendError('the task pool was disposed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ call, transfer, resolve: resolve as (v: unknown) => void, reject });
      this.dispatch();
    });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const job of this.queue.splice(0)) job.reject(new BackendError('the task pool was disposed'));
    const threads = this.threads.splice(0);
    for (const t of threads) t.job?.reject(new BackendError('the task pool was disposed'));
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length) {
      let t = this.threads.find((x) => !x.job);
      if (!t && this.threads.length < this.size) t = this.spawn();
      if (!t) return;
      const job = this.queue.shift()!;
      t.job = job;
      t.worker.ref();
      t.worker.postMessage({ id: t.id, call: job.call }, job.transfer as ArrayBuffer[]);
    }
  }

  private spawn(): Thread {
    const id = this.nextId++;
    const workerData = this.options.setup ? { setup: this.options.setup } : {};
    const options = { workerData, ...(this.options.name ? { name: `${this.options.name} ${id + 1}` } : {}) };
    const worker = import.meta.url.endsWith('.ts') ? new Worker(tsBootstrap(), { eval: true, ...options }) : new Worker(WORKER_JS, options);
    const thread: Thread = { worker, id };
    worker.unref();
    worker.on('message', (msg: { ok: boolean; result?: unknown; error?: SerializedError }) => {
      const job = thread.job;
      thread.job = undefined;
      worker.unref();
      if (job) {
        if (msg.ok) job.resolve(msg.result);
        else job.reject(reviveError(msg.error!));
      }
      this.dispatch();
    });
    const fail = (reason: string) => {
      const i = this.threads.indexOf(thread);
      if (i < 0) return;
      this.threads.splice(i, 1);
      this.options.onThreadFailure?.(reason);
      const job = thread.job;
      thread.job = undefined;
      job?.reject(new BackendError(`a worker thread of the task pool ${reason}`, { call: job.call.export }));
      void worker.terminate();
      if (!this.disposed) this.dispatch();
    };
    worker.on('error', (e) => fail(`failed: ${e.message}`));
    worker.on('exit', (code) => fail(`exited (code ${code})`));
    this.threads.push(thread);
    return thread;
  }
}

/** The worker's code under tsx: register the TypeScript loader on the thread, then load the worker module. */
function tsBootstrap(): string {
  // require.resolve gives tsx's CommonJS build of the API; its ES module build sits beside it
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  return `import(${JSON.stringify(tsx)}).then((t) => { (t.register ?? t.default.register)(); return import(${JSON.stringify(WORKER_TS.href)}); });`;
}
