/**
 * The composition root: the one place that wires core, plugins and adapters together. Host
 * applications call createLift() and may register their own parametrizations, strategies,
 * optimizers, methods and backends on the registry before training.
 */
import { Container } from 'inversify';
import { OnnxRuntimeBackend } from './adapters/backends/onnxruntime/backend.js';
import { LazyOnnxRuntimeWebBackend } from './adapters/backends/onnxruntime-web/lazy.js';
import { WorkerKernelRunner, type WorkerRunnerOptions } from './adapters/parallel/worker-runner.js';
import { SafetensorsStore } from './adapters/huggingface/tensor-store.js';
import type { Backend, CheckpointStore, CompileOptions, TensorStore, TrainingLogger } from './core/contracts.js';
import { TOKENS } from './core/di.js';
import type { KernelRunnerFactory } from './core/parallel.js';
import { Registry } from './core/registry.js';
import { FileCheckpointStore } from './core/training/checkpoint.js';
import { Trainer } from './core/training/trainer.js';
import { registerBuiltins } from './plugins/index.js';

export interface LiftOptions {
  /** A registry to extend; a fresh one with the built-in methods otherwise. */
  registry?: Registry;
  /** Backend names to try in order (default: 'onnxruntime-cpu'). 'onnxruntime-cuda' needs the CUDA provider. */
  backends?: string[];
  /** Compile options applied to every graph (threads, device id, ...). */
  compile?: CompileOptions;
  store?: TensorStore;
  logger?: TrainingLogger;
  /** Host kernels (the optimizer update) on worker threads beside the main one; false keeps them on the main thread. */
  hostThreads?: WorkerRunnerOptions | false;
}

/**
 * Registers the built-in methods and the ONNX Runtime backends (CPU priority 1, CUDA priority 2,
 * onnxruntime-web priority 0: WebAssembly, loaded only when asked for, since it is an optional peer).
 */
export function defaultRegistry(compile: CompileOptions = {}): Registry {
  const registry = registerBuiltins(new Registry());
  registry.registerBackend('onnxruntime-cpu', new OnnxRuntimeBackend({ ...compile, executionProvider: 'cpu' }), 1);
  registry.registerBackend('onnxruntime-cuda', new OnnxRuntimeBackend({ ...compile, executionProvider: 'cuda' }), 2);
  registry.registerBackend('onnxruntime-web', new LazyOnnxRuntimeWebBackend({ ...compile, executionProvider: 'cpu' }), 0);
  return registry;
}

/** A DI container with the registry, a resolved backend, a tensor store and the trainer bound. */
export async function createLift(options: LiftOptions = {}): Promise<Container> {
  const registry = options.registry ?? defaultRegistry(options.compile);
  const { backend } = await registry.resolveBackend(options.backends ?? ['onnxruntime-cpu']);
  const container = new Container();
  container.bind<Registry>(TOKENS.Registry).toConstantValue(registry);
  container.bind<Backend>(TOKENS.Backend).toConstantValue(backend);
  const store = options.store ?? new SafetensorsStore();
  container.bind<TensorStore>(TOKENS.TensorStore).toConstantValue(store);
  container.bind<CheckpointStore>(TOKENS.CheckpointStore).toConstantValue(new FileCheckpointStore(store));
  if (options.logger) container.bind<TrainingLogger>(TOKENS.TrainingLogger).toConstantValue(options.logger);
  if (options.hostThreads !== false) {
    const threads = options.hostThreads ?? {};
    container.bind<KernelRunnerFactory>(TOKENS.KernelRunnerFactory).toConstantValue(() => new WorkerKernelRunner(threads));
  }
  container.bind(Trainer).toSelf().inSingletonScope();
  container.bind(TOKENS.Trainer).toService(Trainer);
  return container;
}
