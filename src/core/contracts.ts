/**
 * The abstract contracts of lift-sft. Core code and plugins program against these; adapters
 * implement Backend and HostAdapter; plugins implement MaskStrategy and Optimizer.
 */
import type { Graph, Value } from './graph/graph.js';
import type { Rng } from './rng.js';
import type { Tensor } from './tensor.js';

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

export interface Backend {
  readonly name: string;
  /** Resolves once the backend can run (e.g. the provider library is present); throws otherwise. */
  init?(): Promise<void>;
  compile(graph: Graph, outputs: readonly Value[], options?: CompileOptions): Promise<Executable>;
  dispose?(): Promise<void>;
}

// ---------------------------------------------------------------- masks

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
   * Returns the `budget` flat indices (row-major, sorted ascending, distinct) of the entries of
   * `weight` (a float32 matrix [m, n]) that train.
   */
  select(weight: Tensor<'float32'>, budget: number, context: MaskContext): Promise<Int32Array>;
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
   * The mask of `name` changed from oldIndices to newIndices (both sorted). State of entries in
   * both carries over, new entries start at zero, entries that left drop their state. The step
   * counter is kept.
   */
  remap(name: string, oldIndices: Int32Array, newIndices: Int32Array): void;
  /** Bytes of optimizer state held now. */
  stateBytes(): number;
  state(): OptimizerState;
  load(state: OptimizerState): void;
}

// ---------------------------------------------------------------- methods

export type Parametrization = 'sparse' | 'dense' | 'lora';

export type MethodOptions = Record<string, unknown>;

/** What a user picks, like a PEFT tuner: a parametrization, a mask strategy and an optimizer. */
export interface Method {
  readonly name: string;
  readonly parametrization: Parametrization;
  /** Registered name of the mask strategy (sparse methods). */
  readonly strategy?: string;
  /** Registered name of the optimizer. */
  readonly optimizer: string;
  /** Documented default options (lr, rank, interval, ...). */
  readonly defaults: MethodOptions;
  /**
   * The option keys the method reads beyond those every method takes (lr, betas, eps,
   * weightDecay, targetModules). When given, a run naming any other key fails, so a typo never
   * falls back to a default silently; when absent, options are not checked.
   */
  readonly options?: readonly string[];
}

/** Options every method takes: the optimizer's and the target modules. */
export const COMMON_METHOD_OPTIONS = ['lr', 'betas', 'eps', 'weightDecay', 'targetModules'] as const;

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
}

// ---------------------------------------------------------------- factories

export type StrategyFactory = (options: MethodOptions) => MaskStrategy;
export type OptimizerFactory = (options: MethodOptions) => Optimizer;

// ---------------------------------------------------------------- persistence and logging

/** Reads and writes named tensors as one file (the Hugging Face adapter stores safetensors). */
export interface TensorStore {
  /** Writes atomically: a crash leaves either the old file or the new one. */
  save(path: string, tensors: ReadonlyMap<string, Tensor>, metadata?: Record<string, string>): void;
  load(path: string): Map<string, Tensor>;
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
