/**
 * The abstract contracts of lift-sft. Core code and plugins program against these; adapters
 * implement Backend and HostAdapter; plugins implement MaskStrategy and Optimizer.
 */
import type { Graph, Value } from './graph/graph.js';
import type { ParamIO, ParamSource } from './model/params.js';
import type { KernelRunner } from './parallel.js';
import type { Rng } from './rng.js';
import type { PortableRef, TaskPool } from './tasks.js';
import type { Tensor } from './tensor.js';
import type { Checkpoint } from './training/checkpoint-state.js';

// ---------------------------------------------------------------- backend

export type ExecutionProvider = 'cpu' | 'cuda';

export interface CompileOptions {
  executionProvider?: ExecutionProvider;
  /** CUDA device ordinal. */
  deviceId?: number;
  intraOpThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Write an ONNX Runtime profile (JSON) with this file prefix. */
  profileFilePrefix?: string;
}

export interface Executable {
  /** Names and static shapes of the graph inputs that must be fed. */
  readonly inputs: readonly { name: string; dtype: Tensor['dtype']; shape: readonly number[] }[];
  readonly outputs: readonly { name: string; dtype: Tensor['dtype']; shape: readonly number[] }[];
  /**
   * Runs the graph. Feeds are checked by name, dtype and shape before they reach the runtime.
   * Results are keyed by the names of the output Values given to compile.
   */
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  /** Ends profiling (if on) and returns the profile file path. */
  endProfiling?(): string | undefined;
  dispose(): Promise<void>;
}

/** What a backend does with the tensors it is fed; core reads these instead of provider names. */
export interface BackendCapabilities {
  /**
   * The runtime reads host inputs in place (ONNX Runtime on CPU): feeding a big tensor every
   * step costs nothing, so trainable layouts feed their master weights. Otherwise (device
   * memory: CUDA, WebGPU) frozen weights are initializers uploaded once and only trainable values
   * are fed.
   */
  readonly inputsInPlace: boolean;
}

export interface Backend {
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  /** Resolves once the backend can run (e.g. the provider library is present); throws otherwise. */
  init?(): Promise<void>;
  compile(graph: Graph, outputs: readonly Value[], options?: CompileOptions): Promise<Executable>;
  /**
   * Optional: a pool of worker threads, each with DenseOps of this backend, on which portable
   * mask selections run side by side (core/tasks.ts). Made on first use, stopped by dispose().
   * Absent (browser, device backends): selections run on the calling thread.
   */
  taskPool?(): TaskPool | undefined;
  dispose?(): Promise<void>;
}

// ---------------------------------------------------------------- masks

/** When mask refreshes fall, for a refresh interval I: after steps I, 2I, ... or I−1, 2I−1, ... */
export type RefreshTiming = 'multiple' | 'reference';

export interface MaskContext {
  /** The parameter name, e.g. model.layers.0.self_attn.q_proj.weight. */
  readonly name: string;
  /** The run's seeded random source (random strategy, randomized SVD sketches). */
  readonly rng: Rng;
  /** Optimizer steps taken so far (0 at init). */
  readonly step: number;
  /** Where big dense products run (the backend); a plain host implementation when absent. */
  readonly ops?: DenseOps;
}

/** Dense float32 matrix products, so linear algebra can run its big products on a backend. */
export interface DenseOps {
  /** C = op(A) · op(B) with A [m, k] (or [k, m] when transA) and B [k, n] (or [n, k] when transB), row-major. */
  matmul(
    a: Float32Array,
    aShape: readonly [number, number],
    b: Float32Array,
    bShape: readonly [number, number],
    options?: { transA?: boolean; transB?: boolean },
  ): Promise<Float32Array>;
}

/** Chooses which entries of a weight matrix train. */
export interface MaskStrategy {
  readonly name: string;
  /** Steps between mask refreshes; undefined or 0 means the mask never changes. */
  readonly refreshInterval?: number;
  /**
   * When a refresh falls (refreshDue in training/refresh.ts): 'multiple' (default) after steps
   * I, 2I, ...; 'reference' after steps I−1, 2I−1, ... as the authors' code does.
   */
  readonly refreshAt?: RefreshTiming;
  /**
   * Returns the `budget` flat indices (row-major, sorted ascending, distinct) of the entries of
   * `weight` (a float32 matrix [m, n]) that train. `weight` is lent for the call: on a task pool's
   * thread it is a copy that is reused once the call has settled, so a strategy keeps none of it.
   */
  select(weight: Tensor<'float32'>, budget: number, context: MaskContext): Promise<Int32Array>;
  /**
   * Optional: how another thread rebuilds this strategy: a module exporting a function
   * `(options) => MaskStrategy`, and the options that give an equal strategy. A portable
   * strategy's masks may be selected on a task pool, several at once; each selection then gets its
   * own stream forked from the run's Rng in target order (pooled or not, so masks do not depend on
   * the pool). Strategies without it select on the calling thread, one after another, from the
   * run's Rng as it stands.
   */
  portable?(): PortableRef;
}

/**
 * Where portable mask selections run (core sets it in the contexts below; parametrizations pass
 * it on to selectMask): a task pool, and `after`, which settles when the previous target has
 * taken its mask, so targets apply their masks in order.
 */
export interface MaskSelection {
  readonly pool: TaskPool;
  readonly after: Promise<unknown>;
  /** Reusable copies of the weights sent to the pool, shared by one batch's selections. */
  readonly copies: MaskCopies;
}

/** Copies of weights for a pool's threads: `take` fills one (new or given back), `give` returns it. */
export interface MaskCopies {
  take(weight: Float32Array): Float32Array;
  give(copy: Float32Array): void;
}

// ---------------------------------------------------------------- optimizers

/** Per-parameter optimizer state, as saved in a checkpoint. */
export interface OptimizerState {
  readonly name: string;
  readonly hyper: Record<string, number | number[]>;
  readonly params: Record<string, { step: number; buffers: Record<string, Float32Array> }>;
}

/**
 * Updates trainable vectors in place. For sparse methods a parameter's vector holds the k masked
 * values of a weight matrix; for dense methods all m*n values; for LoRA the A and B matrices.
 */
export interface Optimizer {
  readonly name: string;
  step(params: ReadonlyMap<string, Float32Array>, grads: ReadonlyMap<string, Float32Array>, lr: number): void;
  /**
   * Optional: the same step with global-norm clipping fused and the elementwise work on `runner`'s
   * threads. Each gradient value is first multiplied by `gradScale` and rounded to float32, exactly
   * what scaling the gradients in place before step() stores (gradScale 1: no clipping), so the
   * result is bit for bit step()'s after an in-place scale. The gradients are consumed: the runner
   * may move them to another thread and leave them detached.
   */
  stepOn?(
    runner: KernelRunner,
    params: ReadonlyMap<string, Float32Array>,
    grads: ReadonlyMap<string, Float32Array>,
    lr: number,
    gradScale: number,
  ): Promise<void>;
  /**
   * The mask of `name` changed from oldIndices to newIndices (both sorted). State of entries in
   * both carries over, new entries start at zero, entries that left drop their state. The step
   * counter is kept.
   */
  remap(name: string, oldIndices: Int32Array, newIndices: Int32Array): void;
  /** Bytes of optimizer state held now. */
  stateBytes(): number;
  /** A snapshot of the state (copies of every buffer). */
  state(): OptimizerState;
  /**
   * The state with its buffers as views of the live ones (no copy), valid until the next step or
   * remap: for a checkpoint written out at once. Absent: state().
   */
  stateView?(): OptimizerState;
  load(state: OptimizerState): void;
}

// ---------------------------------------------------------------- methods

/** A JSON Schema (draft 2020-12 subset as ajv validates it) of one option. */
export type OptionSchema = Record<string, unknown> & { description?: string; default?: unknown };

/** A building block's options: property schemas with their documented defaults. */
export type OptionsFragment = Readonly<Record<string, OptionSchema>>;

/** Validated method options: every key of the method's schema, defaults filled in. */
export type MethodOptions = Record<string, unknown>;

/** The options every method takes (core's fragment of each method schema). */
export interface CommonOptions {
  /** Peak learning rate. */
  lr: number;
  /** Which linear modules of each decoder layer are targets (q_proj, ..., down_proj). */
  targetModules: string[];
}

/**
 * What a user picks, like a PEFT tuner: a registered parametrization, optionally a mask
 * strategy, and an optimizer, all by name. Its options schema is composed by the registry from
 * core's common fragment and the fragments its building blocks registered; `defaults` overrides
 * the documented defaults for this method (its recipe: lr, weight decay, ...).
 */
export interface Method {
  readonly name: string;
  /** One line for `lift schema` and the docs. */
  readonly description?: string;
  readonly parametrization: string;
  /** Registered name of the mask strategy, for parametrizations that take one. */
  readonly strategy?: string;
  readonly optimizer: string;
  /** The method's recipe: defaults of options its building blocks declare (lr, weightDecay, rank...). */
  readonly defaults?: MethodOptions;
}

/** One target weight handed to a parametrization: its name, shape and the run's master copy of W. */
export interface TargetWeight {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  /** The run's own float32 copy of W [rows, cols]; the caller's weights are never touched. */
  readonly weight: Float32Array;
}

export interface ParametrizationContext {
  /** The method's mask strategy, when it has one. */
  readonly strategy?: MaskStrategy;
  /** Draws for masks (passed to strategies). */
  readonly maskRng: Rng;
  /** Draws for the initial values of new trainable state (e.g. LoRA's A). */
  readonly initRng: Rng;
  /** Where big dense products run. */
  readonly ops?: DenseOps;
  /** Set by core when this target's mask selection runs on a task pool. */
  readonly selection?: MaskSelection;
}

export interface RefreshContext {
  readonly strategy?: MaskStrategy;
  readonly optimizer: Optimizer;
  readonly rng: Rng;
  /** Optimizer steps taken so far. */
  readonly step: number;
  readonly ops?: DenseOps;
  /** The capabilities of the backend the run's graphs are compiled for. */
  readonly layout: BackendCapabilities;
  /** Set by core when this target's mask selection runs on a task pool. */
  readonly selection?: MaskSelection;
}

/** How a target enters one compiled training graph, and what it feeds at every run. */
export interface GraphBinding extends ParamSource {
  /**
   * The gradient the graph outputs for each of the target's optimizer vectors, given the
   * gradient of each trainable input this binding created (by input name).
   */
  gradients(gradOf: (input: string) => Value, io: ParamIO): Map<string, Value>;
  /** Sets this binding's inputs for one run; `rng` draws what training draws (dropout) and is absent in evaluation. */
  feed(feeds: Record<string, Tensor>, rng?: Rng): void;
}

/** A target weight in its parametrization: the trainable state of one matrix. */
export interface TrainableTarget {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  /** The vectors the optimizer updates, by parameter name (stable for the target's life). */
  vectors(): ReadonlyMap<string, Float32Array>;
  /** A fresh binding for one graph; `inputsInPlace` is the backend's capability. */
  bind(layout: BackendCapabilities): GraphBinding;
  /** After every optimizer step (e.g. write updated values into a master fed in place). */
  afterStep?(layout: BackendCapabilities): void;
  /**
   * Recomputes structure from the current weights (a mask refresh), remapping the optimizer's
   * state; returns how many entries changed. Bindings compiled with the old structure must be
   * rebuilt when `bindingsStale` says so.
   */
  refresh?(ctx: RefreshContext): Promise<{ changed: number; bindingsStale: boolean }>;
  /** The effective weight W' [rows, cols] as a new tensor (evaluation, export). */
  merged(): Tensor<'float32'>;
  /**
   * W' without a copy where the target holds it whole (sparse: its values folded into the master
   * W, dense: W): a view of the live state, valid until training continues; read it, never write
   * it. Absent: merged() (LoRA computes W + (α/r)·B·A anew anyway).
   */
  mergedView?(): Tensor<'float32'>;
  /**
   * The tensors a checkpoint holds for this target, by name. They may be views of the live state
   * (no copy): a CheckpointStore writes them out at once or copies what it keeps.
   */
  checkpoint(): Map<string, Tensor>;
  /** Restores from a checkpoint's tensors; `need` returns a tensor's data or throws naming it. */
  restore(need: (key: string, length: number) => Tensor['data']): void;
  /** Bytes of structure beside the trainable vectors (mask indices). */
  structureBytes(): number;
  /** The entries that train (sorted flat indices), for parametrizations that train a mask. */
  mask?(): Int32Array;
  /**
   * For hosts that run their own backward (HostAdapter): the optimizer vectors' gradients from
   * the dense gradient of the effective weight. Absent: the parametrization needs the graph.
   */
  fromDenseGradient?(dW: Float32Array): Map<string, Float32Array>;
  /** For hosts: take the host's current W' (it may have changed it itself). */
  syncFromHost?(current: Float32Array): void;
  /** Files an adapter export writes for this target (LoRA: PEFT names), if the parametrization has one. */
  adapter?(): Map<string, Tensor>;
  /**
   * Starts from an exported adapter (a run initialized from one): `need` returns the tensor that
   * adapter() names `key`, of `length` values, or throws naming it.
   */
  fromAdapter?(need: (key: string, length: number) => Tensor['data']): void;
}

/**
 * How a method's trainable state is made for one target weight and how it enters the graph:
 * sparse (k values at a mask), dense (W itself), LoRA (A and B), or a host app's own.
 */
export interface Parametrization {
  readonly name: string;
  /** The options it reads, with documented defaults. */
  readonly options?: OptionsFragment;
  /** Whether it needs a mask strategy (the method must name one). */
  readonly needsStrategy?: boolean;
  /**
   * Its targets never write the weight W they are created with (training changes other tensors
   * only, e.g. LoRA's factors). Core then hands create() the caller's array instead of a master
   * copy: one copy of each frozen matrix in the process, not two. The caller's weights must then
   * stay unchanged while the targets live (they are the frozen base).
   */
  readonly readsWeightOnly?: boolean;
  /** Fills options whose defaults depend on others (LoRA: alpha = 2·rank). */
  complete?(options: MethodOptions): MethodOptions;
  /**
   * Warnings about options that change the method's nature on these target shapes (a sparse
   * budget that covers the whole matrix is full fine-tuning; a LoRA rank at the matrix's smaller
   * side is not low-rank). Checked before a run writes anything; one line each.
   */
  caveats?(targets: readonly { name: string; rows: number; cols: number }[], options: MethodOptions): string[];
  create(target: TargetWeight, options: MethodOptions, ctx: ParametrizationContext): Promise<TrainableTarget>;
}

// ---------------------------------------------------------------- hosts

/**
 * What a host training framework offers the plugin: named parameters it can read and write
 * (float32 matrices [out, in]) and each step's gradients for them.
 */
export interface HostAdapter {
  parameterNames(): string[];
  read(name: string): Tensor<'float32'>;
  write(name: string, value: Tensor<'float32'>): void;
  /** Full dense gradient of a parameter from the last backward pass. */
  gradient(name: string): Float32Array;
  /**
   * Told by the tuner's init which parameters train, so the host's backward computes gradients
   * for these only and never for frozen ones. Optional: without it a host computes all it lists.
   */
  setTargets?(names: readonly string[]): void;
}

// ---------------------------------------------------------------- factories

/** Builds a strategy from validated, complete method options. */
export type StrategyFactory = (options: MethodOptions) => MaskStrategy;
/** Builds an optimizer from validated, complete method options. */
export type OptimizerFactory = (options: MethodOptions) => Optimizer;

// ---------------------------------------------------------------- persistence and logging

/** Reads and writes named tensors as one file (the Hugging Face adapter stores safetensors). */
export interface TensorStore {
  /**
   * Writes atomically: a crash leaves either the old file or the new one. The tensors may be
   * views of live training state (a checkpoint's trained matrices): write them out before
   * returning, or copy what is kept.
   */
  save(path: string, tensors: ReadonlyMap<string, Tensor>, metadata?: Record<string, string>): void;
  load(path: string): Map<string, Tensor>;
}

/**
 * Where the trainer keeps a run's checkpoints: files under the output directory in Node
 * (FileCheckpointStore), memory in a browser tab. The trainer never touches a file itself.
 */
export interface CheckpointStore {
  /**
   * Keeps a complete checkpoint of the run writing to `outDir` (older ones may go); returns where.
   * Its tensors and optimizer buffers may be views of the live run, which changes them with the
   * next step: write them out now or keep copies (MemoryCheckpointStore copies).
   */
  save(outDir: string, checkpoint: Omit<Checkpoint, 'dir'>): string;
  /** The newest complete checkpoint of the run writing to `outDir`, or null when it has none. */
  latest(outDir: string): Checkpoint | null;
  /**
   * The run stopped on a non-finite or diverged loss at `failedStep`; `newest` is what save()
   * last returned. Returns the newest checkpoint that resumes finitely (finite weights, and a
   * finite loss at the step after it), which latest() returns from now on; undefined when the
   * run has none. Absent: the trainer names `newest`.
   */
  fallBack?(newest: string, failedStep: number): string | undefined;
}

/** One optimizer step's record, as written to the JSONL log. */
export interface StepRecord {
  step: number;
  totalSteps: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokens: number;
  tokensPerSecond: number;
  elapsedSeconds: number;
  refreshed?: boolean;
}

export interface EvalRecord {
  step: number;
  split: string;
  loss?: number;
  accuracy?: number;
  records: number;
}

export interface TrainingLogger {
  start?(info: { method: string; totalSteps: number }): void;
  step(record: StepRecord): void;
  eval?(record: EvalRecord): void;
  message?(text: string): void;
  end?(): void;
}
