/**
 * lift-sft in a browser (`lift-sft/web`): fine-tuning on onnxruntime-web from bytes a page
 * fetched, with no file system and no Node module anywhere in this entry's import graph (the
 * example's esbuild build fails on one). Node programs use the package root, which also offers
 * onnxruntime-web as the backend 'onnxruntime-web'. (A Node program that loads both runtimes as
 * CommonJS shares one onnxruntime-common between them, where onnxruntime-web also registers its
 * provider as 'cpu' and the first registration wins: import the root before this entry.)
 */
export { OnnxRuntimeWebBackend, type WebBackendOptions } from './adapters/backends/onnxruntime-web/backend.js';
export { WASM_MEMORY_LIMIT, WASM_FILES, assertModelFits } from './adapters/backends/onnxruntime-web/errors.js';
export { trainInMemory, greedyAnswer, type InMemoryModel, type TrainInMemoryOptions } from './api/in-memory.js';
export { modelFromBytes, checkWeights } from './adapters/huggingface/model-weights.js';
export { tokenizerFromJson } from './adapters/huggingface/tokenizer-json.js';
export { HfTokenizer } from './adapters/huggingface/hf-tokenizer.js';
export { parseModelConfig, modelConfigToJson } from './adapters/huggingface/model-config-json.js';
export { decodeSafetensors, decodeTensors, encodeSafetensors, encodeTensors, parseSafetensorsHeader } from './adapters/huggingface/safetensors-codec.js';

export * from './core/contracts.js';
export * from './core/errors.js';
export { TOKENS } from './core/di.js';
export { Registry, type ResolvedMethod } from './core/registry.js';
export { registerBuiltins } from './plugins/index.js';
export { RUN_SCHEMA, type RunConfig } from './core/config/schema.js';
export { validateRunConfig } from './core/config/validate.js';
export { Trainer, type TrainRequest, type TrainResult, type TrainerModel } from './core/training/trainer.js';
export { MemoryCheckpointStore } from './core/training/memory-checkpoints.js';
export { parseSftRecords } from './core/data/parse.js';
export type { SftRecord } from './core/data/record.js';
export type { Tokenizer } from './core/data/tokenizer.js';
export { ALPACA_TEMPLATE, formatPrompt, type PromptTemplate } from './core/data/template.js';
export { tokenizeDataset } from './core/data/tokenize.js';
export { generateGreedy, GreedyGenerator } from './core/model/generate.js';
export type { ModelConfig } from './core/model/config.js';
export { Rng } from './core/rng.js';
export { tensor, type Tensor, type DType } from './core/tensor.js';
