/**
 * The web backend's typed failures, each one line that says what to do: the WebAssembly files
 * missing, and a graph too big for the WebAssembly heap.
 */
import { BackendError } from '../../../core/errors.js';
import type { Graph, Value } from '../../../core/graph/graph.js';
import { BYTES_PER_ELEMENT, numel } from '../../../core/tensor.js';

/** A wasm32 module addresses at most 4 GiB, whatever the machine has. */
export const WASM_MEMORY_LIMIT = 4 * 1024 ** 3;

export const WASM_FILES = 'ort-wasm-simd-threaded.wasm and ort-wasm-simd-threaded.mjs';

/** One line of a runtime's message (Emscripten and ORT messages span lines). */
function oneLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.replace(/\s+/g, ' ').trim();
}

export function wasmLoadFailed(cause: unknown, wasmPaths: unknown): BackendError {
  const where = wasmPaths === undefined ? "onnxruntime-web's default location (its dist folder, or the bundle's own folder)" : JSON.stringify(wasmPaths);
  return new BackendError(
    `onnxruntime-web could not load its WebAssembly files (${WASM_FILES}) from ${where}: ${oneLine(cause)}; ` +
      "serve them there (copy them from node_modules/onnxruntime-web/dist) or point the backend's wasmPaths at them, " +
      'then reload the page or restart the process (onnxruntime-web keeps a failed load for the life of its process)',
    { wasmPaths, cause: oneLine(cause) },
    'E_WASM_MISSING',
  );
}

/** Bytes a graph's initializers and inputs occupy before any activation: a floor on its heap use. */
export function graphBytes(graph: Graph, inputs: readonly Value[]): number {
  let bytes = 0;
  for (const { tensor } of graph.initializers.values()) bytes += tensor.data.byteLength;
  for (const v of inputs) if (v.kind === 'input') bytes += numel(v.shape) * BYTES_PER_ELEMENT[v.dtype];
  return bytes;
}

const OOM = /out of memory|\boom\b|bad_alloc|could not allocate|cannot enlarge memory|Array buffer allocation failed|memory access out of bounds/i;

/**
 * The typed error for a graph that does not fit, or undefined when `cause` is not a memory
 * failure. `limit` and `needed` come from the size check made before the runtime is asked.
 */
export function outOfMemory(cause: unknown, graph: string, sizes?: { needed: number; limit: number }): BackendError | undefined {
  if (!sizes && !OOM.test(oneLine(cause))) return undefined;
  const gib = (n: number) => `${(n / 1024 ** 3).toFixed(2)} GiB`;
  const why = sizes ? `its weights and inputs need ${gib(sizes.needed)}, more than the ${gib(sizes.limit)} the WebAssembly heap can hold` : oneLine(cause);
  return new BackendError(
    `graph '${graph}' does not fit in onnxruntime-web's WebAssembly memory (${why}); ` +
      'use a smaller model, batch size or maxLength, or train in Node with the onnxruntime-cpu backend',
    { graph, ...sizes },
    'E_OUT_OF_MEMORY',
  );
}

/**
 * Fails before a download when a model cannot train in a tab: training holds the weights in the
 * WebAssembly heap at least twice (initializers, and gradients or activations of the same order),
 * so float32 weights over half the heap never fit. `weightBytes` is what the file holds (its
 * Content-Length); `source` names it.
 */
export function assertModelFits(source: string, weightBytes: number, limit = WASM_MEMORY_LIMIT): void {
  if (2 * weightBytes <= limit) return;
  const gib = (n: number) => `${(n / 1024 ** 3).toFixed(2)} GiB`;
  throw new BackendError(
    `${source} holds ${gib(weightBytes)} of weights; training needs them at least twice in onnxruntime-web's WebAssembly memory, ` +
      `which holds at most ${gib(limit)}: pick a model under ${gib(limit / 2)} (about ${Math.floor(limit / 2 / 4 / 1e6)}M float32 parameters), ` +
      'or train in Node with the onnxruntime-cpu backend',
    { source, weightBytes, limit },
    'E_OUT_OF_MEMORY',
  );
}
