/**
 * What a worker thread of the onnxruntime-node backend's task pool gets (WorkerTaskPool's setup):
 * DenseOps on its own single-threaded CPU backend, so the products of the mask selections that
 * run on that thread use ONNX Runtime's BLAS there, side by side with the other threads.
 */
import type { DenseOps } from '../../../core/contracts.js';
import { BackendDenseOps } from '../../../core/linalg/backend-ops.js';
import type { PortableRef } from '../../../core/tasks.js';
import { OnnxRuntimeBackend, type OrtBackendOptions } from './backend.js';

/**
 * The setup export: `{ ops }` over a CPU backend with these options, one intra-op thread and no
 * memory arena. A thread's sessions run one product at a time between refreshes that are many
 * steps apart; an arena would keep each session's largest buffers for the whole run (≈ 25 MiB a
 * thread on the 135M shape: LIFT's peak 1385 → 1333 MiB with two threads), and freeing them per
 * product costs no measurable refresh time.
 */
export function createWorkerEnv(options: OrtBackendOptions = {}): { ops: DenseOps } {
  const backend = new OnnxRuntimeBackend({ ...options, executionProvider: 'cpu', intraOpThreads: 1, cpuMemArena: false });
  return { ops: new BackendDenseOps(backend, { intraOpThreads: 1 }) };
}

/** The PortableRef of createWorkerEnv with `options` (only plain, cloneable fields). */
export function workerEnvRef(options: OrtBackendOptions = {}): PortableRef {
  const plain = Object.fromEntries(Object.entries(options).filter(([, v]) => v === null || ['string', 'number', 'boolean'].includes(typeof v)));
  return { module: import.meta.url, export: 'createWorkerEnv', options: plain };
}
