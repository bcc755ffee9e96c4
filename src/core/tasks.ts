/**
 * Work that may run on another thread: the contract of a task pool and of "portable" functions,
 * which a worker finds by the ES module that exports them (a worker cannot receive a function or
 * a class instance, only structured-cloneable data).
 *
 * Core imports no node: module and no adapter: a backend that can run work on worker threads
 * (onnxruntime-node on the CPU) offers a pool (Backend.taskPool); without one, everything runs on
 * the calling thread (the browser, host adapters, tests). Errors cross the thread boundary as
 * data and are revived as the same typed error the calling thread would have thrown.
 */
import * as errors from './errors.js';
import { LiftError } from './errors.js';

/**
 * A function and where a worker finds it: `module` (a URL, normally the module's own
 * import.meta.url), the name of its `export`, and the plain `options` it is called with.
 */
export interface PortableRef {
  readonly module: string;
  readonly export: string;
  readonly options?: unknown;
}

/**
 * Runs portable calls on other threads. A call's export is invoked as `fn(options, env)`, where
 * `env` is what the pool's per-thread setup returned (e.g. `{ ops }`: DenseOps of the backend).
 */
export interface TaskPool {
  /** Threads that compute calls. */
  readonly size: number;
  /**
   * Batches of matrices with fewer elements than this in all are not worth the pool (thread
   * start-up and copies cost more than they save): callers run them inline. Default 0.
   */
  readonly minElements?: number;
  /**
   * Runs one call on a free thread; `transfer` lists buffers of `options` that move to that thread
   * (detached here). Resolves with the export's result; rejects with the error it threw, revived.
   */
  run<T>(call: PortableRef, transfer?: readonly ArrayBuffer[]): Promise<T>;
  /** Stops the threads; queued and later calls fail. */
  dispose(): Promise<void>;
}

/** Imports `ref.module` and returns its export `ref.export`, which must be a function. */
export async function loadPortable<F extends (...args: never[]) => unknown>(ref: PortableRef): Promise<F> {
  const mod = (await import(ref.module)) as Record<string, unknown>;
  const fn = mod[ref.export];
  if (typeof fn !== 'function') {
    throw new errors.InvalidArgumentError(`module ${ref.module} has no function export '${ref.export}'`, { module: ref.module, export: ref.export });
  }
  return fn as F;
}

/** An error as data (what crosses a thread boundary). */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly details?: Record<string, unknown>;
  readonly stack?: string;
  /** Own enumerable fields beyond those (e.g. NoGradientError's op). */
  readonly fields?: Record<string, unknown>;
}

export function serializeError(e: unknown): SerializedError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) if (k !== 'code' && k !== 'details' && k !== 'name') fields[k] = v;
  const out: { -readonly [K in keyof SerializedError]: SerializedError[K] } = { name: e.name, message: e.message };
  if (e.stack) out.stack = e.stack;
  if (e instanceof LiftError) {
    out.code = e.code;
    if (e.details) out.details = e.details;
  }
  if (Object.keys(fields).length) out.fields = cloneable(fields);
  return out;
}

/**
 * The error `s` describes, as an instance of the same class where core defines it (so
 * `instanceof InvalidArgumentError` and `.code` hold as if it had been thrown here); a built-in
 * Error class (TypeError, RangeError...) by name; a plain Error otherwise.
 */
export function reviveError(s: SerializedError): Error {
  const cls = (errors as Record<string, unknown>)[s.name] ?? (BUILTIN_ERRORS as Record<string, unknown>)[s.name];
  let e: Error;
  if (typeof cls === 'function' && (cls.prototype instanceof Error || cls === Error)) {
    e = Object.create((cls as { prototype: object }).prototype) as Error;
    Object.defineProperty(e, 'message', { value: s.message, writable: true, configurable: true, enumerable: false });
  } else {
    e = new Error(s.message);
  }
  Object.assign(e, s.fields ?? {});
  e.name = s.name;
  if (s.code !== undefined) (e as { code?: string }).code = s.code;
  if (s.details !== undefined) (e as { details?: unknown }).details = s.details;
  if (s.stack) Object.defineProperty(e, 'stack', { value: s.stack, writable: true, configurable: true, enumerable: false });
  return e;
}

const BUILTIN_ERRORS = { Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };

function cloneable(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof v)) out[k] = v;
    else {
      try {
        out[k] = structuredClone(v);
      } catch {
        out[k] = String(v);
      }
    }
  }
  return out;
}
