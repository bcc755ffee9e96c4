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

export * from './core/contracts.js';
export * from './core/errors.js';
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
export { registerBuiltins } from './plugins/index.js';
export { HostTuner, HostSparseTuner, type HostTunerOptions } from './core/training/host-tuner.js';
