/**
 * The onnxruntime-web backend: the same ONNX training graphs as onnxruntime-node, run by ONNX
 * Runtime's WebAssembly build (SIMD always, threads where the environment allows them) in Node or
 * in a browser (a Web Worker in the example page). Imports no Node module: the browser bundle
 * takes this file as it is.
 *
 * Where the bytes live: onnxruntime-web copies every fed tensor into the WebAssembly heap at each
 * run, so nothing is read in place. Frozen tensors are initializers, copied into the heap once
 * when a session is created; the capability `inputsInPlace` says which training layout the
 * trainer builds (see WebBackendOptions.inputsInPlace for the measured choice).
 */
import * as ort from 'onnxruntime-web';
import type { Backend, BackendCapabilities, CompileOptions, Executable } from '../../../core/contracts.js';
import { BackendError } from '../../../core/errors.js';
import { Graph, type Value } from '../../../core/graph/graph.js';
import { serializeModel } from '../../../core/graph/onnx.js';
import type { Tensor } from '../../../core/tensor.js';
import { type IoSpec, SessionCache, checkFeeds, defaultOptimizationLevel } from '../ort-shared/index.js';
import { WEB_INPUTS_IN_PLACE } from './capabilities.js';
import { graphBytes, outOfMemory, WASM_MEMORY_LIMIT, wasmLoadFailed } from './errors.js';
import { fromOrt, toOrt } from './tensors.js';


export interface WebBackendOptions extends CompileOptions {
  /**
   * Where ort-wasm-simd-threaded.wasm and .mjs are served: a URL prefix ending in '/', or one URL
   * per file. Default: onnxruntime-web's own location (its dist folder in Node; in a bundle, the
   * folder the bundle was loaded from, where the example's build copies them).
   */
  wasmPaths?: string | { wasm?: string; mjs?: string };
  /**
   * WebAssembly threads (env.wasm.numThreads). Default: intraOpThreads when set, else the
   * runtime's choice, half the cores (at most 4). Threads need SharedArrayBuffer: Node has it, a
   * page only when cross-origin isolated (COOP/COEP headers); elsewhere onnxruntime-web runs one.
   */
  numThreads?: number;
  /**
   * Train with the master weights fed at every run (true) or with frozen weights as initializers
   * and only the trainable values fed (false). Default false: onnxruntime-web copies fed tensors,
   * and on the bundled model the initializer layout measured faster (docs in the README).
   */
  inputsInPlace?: boolean;
  /**
   * Bytes the WebAssembly heap may hold (default 4 GiB, all a wasm32 module can address): a graph
   * whose weights and inputs alone exceed it fails with E_OUT_OF_MEMORY before the runtime tries.
   */
  memoryLimitBytes?: number;
}

class WebExecutable implements Executable {
  constructor(
    private readonly session: ort.InferenceSession,
    readonly inputs: readonly IoSpec[],
    readonly outputs: readonly IoSpec[],
    /** The runtime's name of each output (an Identity's, where the value is an input). */
    private readonly runtimeNames: readonly string[],
    private readonly graphName: string,
    private readonly onDispose: () => void,
  ) {}

  async run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    checkFeeds(this.inputs, feeds);
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const spec of this.inputs) ortFeeds[spec.name] = toOrt(spec.name, feeds[spec.name]!);
    let out: ort.InferenceSession.ReturnType;
    try {
      out = await this.session.run(ortFeeds);
    } catch (e) {
      throw outOfMemory(e, this.graphName) ?? new BackendError(`onnxruntime-web failed running graph '${this.graphName}': ${(e as Error).message}`);
    }
    const result: Record<string, Tensor> = {};
    this.outputs.forEach((spec, i) => (result[spec.name] = fromOrt(out[this.runtimeNames[i]!]!)));
    return result;
  }

  async dispose(): Promise<void> {
    this.onDispose();
    await this.session.release();
  }
}


/** The smallest graph: loading it proves the WebAssembly files were found and instantiate. */
function probeModel(): Uint8Array {
  const g = new Graph('probe');
  const x = g.input('x', 'float32', [1]);
  const [y] = g.addNode('Neg', [x], [{ dtype: 'float32', shape: [1] }]);
  return serializeModel(g, { outputs: [y!] }).bytes;
}

/**
 * In Node, onnxruntime-web finds its files next to its own module. But where it shares one
 * onnxruntime-common with onnxruntime-node (both loaded as CommonJS, as under mocha with tsx),
 * transformers.js (loaded for tokenizers) points that shared env at a CDN when it sees
 * onnxruntime-web there. Node cannot load code from https anyway, and lift-sft never reaches the
 * network: such an address is dropped, back to the package's own files.
 */
function dropRemoteWasmPathsInNode(): void {
  if (typeof process === 'undefined' || !process.versions?.node) return;
  const remote = (u: unknown) => /^https?:/i.test(u instanceof URL ? u.href : String(u ?? ''));
  const p = ort.env.wasm.wasmPaths;
  if (remote(p) || (typeof p === 'object' && !(p instanceof URL) && (remote(p.wasm) || remote(p.mjs)))) ort.env.wasm.wasmPaths = undefined;
}

export class OnnxRuntimeWebBackend implements Backend {
  readonly name = 'onnxruntime-web';
  readonly capabilities: BackendCapabilities;
  private readonly sessions = new SessionCache<WebBackendOptions>();
  private ready?: Promise<void>;

  constructor(private readonly defaults: WebBackendOptions = {}) {
    this.capabilities = Object.freeze({ inputsInPlace: defaults.inputsInPlace ?? WEB_INPUTS_IN_PLACE });
  }

  /**
   * Configures the WebAssembly runtime and loads it once; a missing or unloadable .wasm is
   * E_WASM_MISSING. wasmPaths and numThreads are onnxruntime-web's process-wide settings: the first
   * backend to initialize in a process (or tab) fixes them.
   */
  init(): Promise<void> {
    this.ready ??= this.load();
    return this.ready;
  }

  private async load(): Promise<void> {
    const { wasmPaths, intraOpThreads } = this.defaults;
    const threads = this.defaults.numThreads ?? intraOpThreads;
    if (wasmPaths !== undefined) ort.env.wasm.wasmPaths = wasmPaths;
    else dropRemoteWasmPathsInNode();
    if (threads !== undefined && threads > 0) ort.env.wasm.numThreads = threads;
    try {
      const probe = await ort.InferenceSession.create(probeModel(), { executionProviders: ['wasm'] });
      await probe.release();
    } catch (e) {
      // onnxruntime-web keeps the failure for the life of the process: so does this backend.
      throw wasmLoadFailed(e, wasmPaths);
    }
  }

  compile(graph: Graph, outputs: readonly Value[], options: WebBackendOptions = {}): Promise<Executable> {
    const opts = { ...this.defaults, ...options };
    return this.sessions.get(graph, outputs, opts, (onDispose) => this.create(graph, outputs, opts, onDispose));
  }

  private async create(graph: Graph, outputs: readonly Value[], opts: WebBackendOptions, onDispose: () => void): Promise<Executable> {
    if (opts.executionProvider !== undefined && opts.executionProvider !== 'cpu') {
      throw new BackendError(`onnxruntime-web runs on WebAssembly; execution provider '${opts.executionProvider}' is not available here`);
    }
    await this.init();
    // Every initializer is embedded: the heap holds it once, and nothing is fed twice.
    const { bytes, outputNames, inputs } = serializeModel(graph, { outputs });
    const limit = opts.memoryLimitBytes ?? WASM_MEMORY_LIMIT;
    const needed = graphBytes(graph, inputs);
    if (needed > limit) throw outOfMemory(new Error(`needs ${needed} bytes for its weights and inputs alone`), graph.name, { needed, limit });
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: ['wasm'],
      graphOptimizationLevel: opts.graphOptimizationLevel ?? defaultOptimizationLevel(graph),
      // The pattern planner reserves one block for the whole plan on top of the arena (see the
      // onnxruntime-node backend's memPattern note); in a 4 GiB heap that costs more than it saves.
      enableMemPattern: false,
    };
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, sessionOptions);
    } catch (e) {
      throw outOfMemory(e, graph.name) ?? new BackendError(`onnxruntime-web could not load graph '${graph.name}': ${(e as Error).message}`, { graph: graph.name });
    }
    const inputSpecs = inputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape }));
    const outputSpecs = outputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape }));
    return new WebExecutable(session, inputSpecs, outputSpecs, outputNames, graph.name, onDispose);
  }
}
