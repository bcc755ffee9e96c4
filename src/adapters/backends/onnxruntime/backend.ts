/**
 * The ONNX Runtime backend: compiles graph IR into InferenceSessions, caches them per graph,
 * outputs and options, and checks every feed by name, dtype and shape before it reaches the runtime.
 *
 * Where the bytes of frozen tensors live: on CUDA they are initializers, uploaded to the device
 * once. On the CPU provider, initializers of at least `bindInitializersFrom` bytes are instead
 * declared as graph inputs and bound at every run to the host tensor's own buffer: ONNX Runtime
 * reads CPU inputs in place (onnxruntime-node wraps the typed array without copying), so the
 * weights are never serialized into the model bytes, never parsed, never copied into the
 * session — one copy of a model's weights in the process instead of three, and session creation
 * that does not scale with the model size. The contract that comes with it: a tensor handed to a
 * graph as an initializer must not be modified while a session compiled from that graph lives.
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import type { Backend, BackendCapabilities, CompileOptions, Executable } from '../../../core/contracts.js';
import { BackendError } from '../../../core/errors.js';
import type { Graph, Value } from '../../../core/graph/graph.js';
import { serializeModel } from '../../../core/graph/onnx.js';
import type { Tensor } from '../../../core/tensor.js';
import { type IoSpec, SessionCache, checkFeeds, defaultOptimizationLevel } from '../ort-shared/index.js';
import type { TaskPool } from '../../../core/tasks.js';
import { WorkerTaskPool } from '../../workers/pool.js';
import { assertCudaAvailable } from './cuda.js';
import { workerEnvRef } from './worker-ops.js';
import { fromOrt, toOrt } from './tensors.js';


/** Default of OrtBackendOptions.bindInitializersFrom on the CPU provider: 256 KiB. */
export const DEFAULT_BIND_INITIALIZERS_FROM = 256 * 1024;

class OrtExecutable implements Executable {
  constructor(
    private readonly session: ort.InferenceSession,
    readonly inputs: readonly IoSpec[],
    readonly outputs: readonly IoSpec[],
    /** The runtime's name of each output (an Identity's, where the value is an input). */
    private readonly runtimeNames: readonly string[],
    private readonly onDispose: () => void,
    /** Initializers bound as inputs (CPU): fed at every run over the host buffers, never copied. */
    private readonly bound: Readonly<Record<string, ort.Tensor>> = {},
  ) {}

  async run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    checkFeeds(this.inputs, feeds);
    const ortFeeds: Record<string, ort.Tensor> = { ...this.bound };
    for (const spec of this.inputs) ortFeeds[spec.name] = toOrt(spec.name, feeds[spec.name]!);
    const out = await this.session.run(ortFeeds);
    const result: Record<string, Tensor> = {};
    this.outputs.forEach((spec, i) => (result[spec.name] = fromOrt(out[this.runtimeNames[i]!]!)));
    return result;
  }

  endProfiling(): string | undefined {
    this.session.endProfiling();
    return undefined;
  }

  async dispose(): Promise<void> {
    this.onDispose();
    await this.session.release();
  }
}


export interface OrtBackendOptions extends CompileOptions {
  /** Compiled sessions kept per graph; least recently used are released beyond this. */
  maxCachedSessions?: number;
  /**
   * CPU provider: initializers of at least this many bytes are bound in place as inputs rather
   * than embedded in the model (see the module comment). Default 256 KiB; Infinity embeds all.
   * Ignored on CUDA, where every initializer is embedded.
   */
  bindInitializersFrom?: number;
  /** ONNX Runtime's CPU memory arena (session option enableCpuMemArena). Default true. */
  cpuMemArena?: boolean;
  /**
   * ONNX Runtime's memory pattern (session option enableMemPattern). Default false on CPU: after
   * the first run the pattern asks the arena for one block the size of the whole plan, which
   * rarely fits the chunks the first run left, so the arena grows by a second plan's worth
   * (training the bench model: 2.27 GiB peak resident with it, 1.60 GiB without, same step time).
   * Default true on CUDA.
   */
  memPattern?: boolean;
  /**
   * Declare inputs as read in place (default: on the CPU provider, which reads host tensors
   * without copying; off on CUDA, where a fed tensor is uploaded at every run). Trainers pick
   * their graph layout from it; forcing it off on CPU runs the device layout on CPU (tests).
   */
  inputsInPlace?: boolean;
  /** Whether idle intra-op worker threads spin (session config session.intra_op.allow_spinning). Default: the runtime's (on). */
  allowSpinning?: boolean;
  /**
   * CPU provider: worker threads of the backend's task pool (taskPool()), on which LIFT's and
   * magnitude's mask selections run side by side, each thread with its own single-threaded
   * sessions. Default: the cores; 0 or 1: no pool (selections run on the calling thread).
   */
  taskThreads?: number;
}

export class OnnxRuntimeBackend implements Backend {
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  private readonly sessions = new SessionCache<OrtBackendOptions>();

  constructor(private readonly defaults: OrtBackendOptions = {}) {
    const provider = defaults.executionProvider ?? 'cpu';
    this.name = `onnxruntime-${provider}`;
    this.capabilities = Object.freeze({ inputsInPlace: defaults.inputsInPlace ?? provider === 'cpu' });
  }

  async init(): Promise<void> {
    if ((this.defaults.executionProvider ?? 'cpu') === 'cuda') assertCudaAvailable();
  }

  private pool: WorkerTaskPool | undefined;

  /**
   * CPU provider: a pool of worker threads (started on first use, never keeping the process
   * alive), each with DenseOps on its own single-threaded CPU backend with these options; the
   * same pool on every call until dispose(). None on CUDA (products run on the device) or with
   * taskThreads ≤ 1.
   */
  taskPool(): TaskPool | undefined {
    if ((this.defaults.executionProvider ?? 'cpu') !== 'cpu') return undefined;
    const size = this.defaults.taskThreads ?? availableParallelism();
    if (size <= 1) return undefined;
    this.pool ??= new WorkerTaskPool({ size, setup: workerEnvRef(this.defaults) });
    return this.pool;
  }

  /** Stops the task pool's threads (compiled sessions are released by their owners). */
  async dispose(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.dispose();
  }

  compile(graph: Graph, outputs: readonly Value[], options: OrtBackendOptions = {}): Promise<Executable> {
    const opts = { ...this.defaults, ...options };
    return this.sessions.get(graph, outputs, opts, (onDispose) => this.create(graph, outputs, opts, onDispose));
  }

  private async create(graph: Graph, outputs: readonly Value[], opts: OrtBackendOptions, onDispose: () => void): Promise<Executable> {
    const provider = opts.executionProvider ?? 'cpu';
    if (provider === 'cuda') assertCudaAvailable();
    else if (provider !== 'cpu') throw new BackendError(`unknown execution provider '${provider}'; use 'cpu' or 'cuda'`);
    const bindFrom = provider === 'cpu' ? (opts.bindInitializersFrom ?? DEFAULT_BIND_INITIALIZERS_FROM) : Infinity;
    const { bytes, outputNames, inputs: declared } = serializeModel(graph, {
      outputs,
      initializerAsInput: (t) => t.data.byteLength >= bindFrom && t.dtype !== 'bfloat16',
    });
    const bound: Record<string, ort.Tensor> = {};
    for (const v of declared) if (v.kind === 'initializer') bound[v.name] = toOrt(v.name, graph.initializers.get(v.name)!.tensor);
    const inputs = declared.filter((v) => v.kind !== 'initializer');
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: provider === 'cuda' ? [{ name: 'cuda', deviceId: opts.deviceId ?? 0 } as never] : ['cpu'],
      graphOptimizationLevel: opts.graphOptimizationLevel ?? defaultOptimizationLevel(graph),
      ...(opts.intraOpThreads ? { intraOpNumThreads: opts.intraOpThreads } : {}),
      ...(opts.profileFilePrefix ? { enableProfiling: true, profileFilePrefix: opts.profileFilePrefix } : {}),
      ...(opts.cpuMemArena !== undefined ? { enableCpuMemArena: opts.cpuMemArena } : {}),
      enableMemPattern: opts.memPattern ?? provider !== 'cpu',
      ...(opts.allowSpinning !== undefined ? { extra: { session: { intra_op: { allow_spinning: opts.allowSpinning ? '1' : '0' } } } } : {}),
    };
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, sessionOptions);
    } catch (e) {
      throw new BackendError(`ONNX Runtime could not load graph '${graph.name}': ${(e as Error).message}`, { graph: graph.name });
    }
    const inputSpecs = inputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape }));
    const outputSpecs = outputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape }));
    return new OrtExecutable(session, inputSpecs, outputSpecs, outputNames, onDispose, bound);
  }
}
