/**
 * Host kernels on more than one thread: the contract of a runner that spreads elementwise work
 * (the optimizer's update with the clip scale fused) over worker threads, and the inline runner
 * that runs it on the calling thread (the browser, host adapters, tests, small runs).
 *
 * A kernel is a plain function over Float32Array arguments of one length and float64 scalars. A
 * worker cannot receive a function, so a kernel is also named by the ES module that exports it
 * (`KernelRef`): a worker imports that module and calls the same code the calling thread calls,
 * so a result does not depend on which thread computed it (JavaScript's arithmetic is IEEE,
 * without contraction: the same code on the same inputs gives the same bits). Kernel modules
 * import nothing (they load in a bare worker).
 *
 * Core imports no node: module; the worker implementation lives in an adapter and is injected
 * (TOKENS.KernelRunnerFactory).
 */
import { KernelError } from './errors.js';

export { KernelError };

/** kernel(arrays, scalars, start, end): elements [start, end) of every array; writes in place. */
export type ElementwiseKernel = (arrays: readonly Float32Array[], scalars: Float64Array, start: number, end: number) => void;

/** A kernel function and where a worker finds it: the module URL (its `import.meta.url`) and the export's name. */
export interface KernelRef {
  readonly module: string;
  readonly name: string;
  readonly fn: ElementwiseKernel;
}

/** One call of a kernel over whole arrays. */
export interface ElementwiseTask {
  /** The kernel's arrays, all of one length; written in place. */
  readonly arrays: readonly Float32Array[];
  readonly scalars: readonly number[];
  /**
   * Indices into `arrays` of arrays the caller hands over and will not read again (gradients the
   * runtime returned): a runner may move them to another thread, which leaves them detached
   * (length 0) here. Arrays not listed keep their identity and their updated values.
   */
  readonly consumed?: readonly number[];
}

export interface KernelRunner {
  /** Threads that compute, the calling thread included (1: inline). */
  readonly threads: number;
  /** A zero-filled array its threads can share without copying (optimizer state); a plain one inline. */
  allocate(length: number): Float32Array;
  /**
   * Runs `kernel` over every element of every task; each task runs whole on one thread, so the
   * split never changes a result. Resolves when every array holds its new values; rejects with a
   * KernelError if a thread failed (tasks may then be partly applied).
   */
  run(kernel: KernelRef, tasks: readonly ElementwiseTask[]): Promise<void>;
  /** Stops the worker threads; run() afterwards fails. */
  dispose(): Promise<void>;
}

/** Makes a runner for one training run; the trainer disposes it when the run ends. */
export type KernelRunnerFactory = () => KernelRunner;

/** The scalars as a worker receives them: float64, exactly the numbers given. */
export function kernelScalars(scalars: readonly number[]): Float64Array {
  return Float64Array.from(scalars);
}

/** Every task on the calling thread, in order. */
export class InlineKernelRunner implements KernelRunner {
  readonly threads = 1;
  private disposed = false;

  allocate(length: number): Float32Array {
    return new Float32Array(length);
  }

  async run(kernel: KernelRef, tasks: readonly ElementwiseTask[]): Promise<void> {
    if (this.disposed) throw new KernelError('the kernel runner was disposed');
    runInline(kernel, tasks);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

/** Runs tasks on this thread; a kernel's exception becomes a KernelError. */
export function runInline(kernel: KernelRef, tasks: readonly ElementwiseTask[]): void {
  for (const t of tasks) {
    const n = t.arrays[0]?.length ?? 0;
    try {
      kernel.fn(t.arrays, kernelScalars(t.scalars), 0, n);
    } catch (e) {
      if (e instanceof KernelError) throw e;
      throw new KernelError(`kernel '${kernel.name}' failed: ${(e as Error)?.message ?? String(e)}`, { kernel: kernel.name });
    }
  }
}
