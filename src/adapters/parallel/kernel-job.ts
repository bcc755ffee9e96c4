/**
 * WorkerKernelRunner's job, run on a thread of its WorkerTaskPool (adapters/workers): a portable
 * function that imports the kernel's module by its URL, runs the tasks it was given in order (the
 * calling thread's runInline, so a kernel's exception is the same KernelError) and returns the
 * arrays that were moved to it, which the pool's worker transfers back (their memory is then
 * freed by the calling thread's collector, as it would be without workers).
 */
import { type ElementwiseKernel, type ElementwiseTask, runInline } from '../../core/parallel.js';
import { type PortableRef, loadPortable } from '../../core/tasks.js';

export interface KernelJob {
  /** The kernel's module URL and export name (KernelRef without the function). */
  module: string;
  name: string;
  /** The tasks; arrays are shared (SharedArrayBuffer) or were moved here (`consumed`). */
  tasks: ElementwiseTask[];
}

/** The pool call of `job`. */
export function kernelJobRef(job: KernelJob): PortableRef {
  return { module: import.meta.url, export: 'runKernelJob', options: job };
}

/** Runs the job's tasks on this thread; resolves with the moved (consumed) arrays. */
export async function runKernelJob({ module, name, tasks }: KernelJob): Promise<Float32Array[]> {
  const fn = await loadPortable<ElementwiseKernel>({ module, export: name });
  runInline({ module, name, fn }, tasks);
  return tasks.flatMap((t) => (t.consumed ?? []).map((i) => t.arrays[i]!));
}
