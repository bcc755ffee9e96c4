/**
 * lift-sft's public API: everything a program needs to fine-tune without deep imports — the
 * composition root (createLift, defaultRegistry), loading a model directory, tokenizer and data,
 * train and compare, the registry, the contracts and the building blocks a host app extends.
 */
export { createLift, defaultRegistry, type LiftOptions } from './container.js';
export { train, type TrainOptions, type TrainOutcome } from './api/train.js';
export { compare, methodOptions, failedMethods, type CompareContext } from './api/compare.js';
export { COMPARE_SCHEMA, compareOptions, compareDefaults, type CompareOptions } from './api/compare-options.js';
export type { CompareReport, MethodReport, SeedRun, Metrics } from './api/compare-report.js';
export { loadModel, loadData, templateFrom, type LoadedModel, type LoadedData } from './api/workspace.js';
export { loadTokenizer } from './adapters/huggingface/tokenizer.js';
export { saveModelDir, loadModelDir } from './adapters/huggingface/checkpoint.js';
export { SafetensorsStore } from './adapters/huggingface/tensor-store.js';
// Exports: models transformers.js runs, PEFT adapters in and out, sparse deltas and masks.
export { exportRun, writeExports, trainedSource, runSource, naturalFormats, parseFormats, EXPORT_FORMATS, type ExportFormat, type ExportRecord, type ExportSource } from './api/export.js';
export { loadModelWith, mergeAdapter, adapterInit } from './api/variants.js';
export { generateText, type GenerateTextOptions, type GeneratedText } from './api/generate.js';
export { computeMasks, exportMasks, type MasksOptions } from './api/masks.js';
export { writeOnnxModel, type OnnxExportOptions } from './adapters/export/onnx.js';
export { readPeftAdapter, writePeftAdapter, checkAdapterBase, type LoraAdapter } from './adapters/export/peft.js';
export { readDelta, writeDelta, applyDelta, makeDelta, type SparseDelta } from './adapters/export/delta.js';
export { readMasks, writeMasks, type MaskSet } from './adapters/export/masks.js';

export * from './core/contracts.js';
export * from './core/errors.js';
export { InlineKernelRunner, KernelError, type ElementwiseKernel, type ElementwiseTask, type KernelRef, type KernelRunner, type KernelRunnerFactory } from './core/parallel.js';
export { WorkerKernelRunner, DEFAULT_MIN_WORKER_ELEMENTS, type WorkerRunnerOptions } from './adapters/parallel/worker-runner.js';
export { TOKENS } from './core/di.js';
export { Registry, type ResolvedMethod } from './core/registry.js';
export { COMMON_OPTIONS, blockOptions, type MethodSchema } from './core/config/method-options.js';
export { Rng } from './core/rng.js';
export { tensor, type Tensor, type DType } from './core/tensor.js';
export { RUN_SCHEMA, type RunConfig } from './core/config/schema.js';
export { validateRunConfig } from './core/config/validate.js';
export { Trainer, type TrainRequest, type TrainResult, type TrainerModel } from './core/training/trainer.js';
export { Graph, Value } from './core/graph/graph.js';
export * as ops from './core/graph/ops.js';
export { grad } from './core/autodiff/grad.js';
export { registerGradient } from './core/autodiff/registry.js';
export type { ModelConfig } from './core/model/config.js';
export { TARGET_MODULES } from './core/model/config.js';
export { maskBudget } from './core/linalg/budget.js';
export { topKByMagnitude } from './core/linalg/topk.js';
export { selectMask, gatherValues, scatterValues } from './core/training/masks.js';
export { frozen, type ParamSource, type ParamIO, type WeightSource } from './core/model/params.js';
export { OnnxRuntimeBackend, type OrtBackendOptions } from './adapters/backends/onnxruntime/backend.js';
// onnxruntime-web is an optional peer: the root exports only its lazy wrapper (the class behind
// defaultRegistry's 'onnxruntime-web'), which imports the package on first use; lift-sft/web has the rest.
export { LazyOnnxRuntimeWebBackend } from './adapters/backends/onnxruntime-web/lazy.js';
export type { WebBackendOptions } from './adapters/backends/onnxruntime-web/backend.js';
export { trainInMemory, greedyAnswer, type InMemoryModel, type TrainInMemoryOptions } from './api/in-memory.js';
export { registerBuiltins } from './plugins/index.js';
export { HostTuner, HostSparseTuner, type HostTunerOptions } from './core/training/host-tuner.js';
