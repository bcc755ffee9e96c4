/** Kernels for the worker-runner tests: one that throws, one that ends its thread. */
import { isMainThread } from 'node:worker_threads';

export function throwingKernel(): void {
  throw new RangeError('kernel exploded on purpose');
}

export function exitingKernel(): void {
  // in a worker thread, process.exit ends only that thread; never end the test process
  if (isMainThread) throw new Error('exitingKernel ran on the main thread');
  process.exit(3);
}

export const THROWING_KERNEL = Object.freeze({ module: import.meta.url, name: 'throwingKernel', fn: throwingKernel });
export const EXITING_KERNEL = Object.freeze({ module: import.meta.url, name: 'exitingKernel', fn: exitingKernel });
export const MISSING_KERNEL = Object.freeze({ module: import.meta.url, name: 'noSuchKernel', fn: throwingKernel });
