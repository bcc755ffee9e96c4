/**
 * Fine-tuning from what is already in memory — model weights, a tokenizer, records — on a backend
 * the caller gives, with checkpoints kept in memory: what a host without a file system (a browser
 * tab, a Web Worker) runs. The same Trainer, data order and RNG as `train`, so the same run config
 * gives the same losses on any backend that computes the same graphs. Imports no Node module.
 */
import { Container } from 'inversify';
import type { Backend, CheckpointStore, TrainingLogger } from '../core/contracts.js';
import type { RunConfig } from '../core/config/schema.js';
import type { SftRecord } from '../core/data/record.js';
import { ALPACA_TEMPLATE, type PromptTemplate } from '../core/data/template.js';
import { tokenizeDataset } from '../core/data/tokenize.js';
import type { Tokenizer } from '../core/data/tokenizer.js';
import { TOKENS } from '../core/di.js';
import { evaluateGeneration } from '../core/eval/evaluate.js';
import type { ModelConfig } from '../core/model/config.js';
import { Registry } from '../core/registry.js';
import type { Tensor } from '../core/tensor.js';
import { MemoryCheckpointStore } from '../core/training/memory-checkpoints.js';
import { Trainer, type TrainResult } from '../core/training/trainer.js';
import { registerBuiltins } from '../plugins/index.js';

export interface InMemoryModel {
  config: ModelConfig;
  weights: ReadonlyMap<string, Tensor<'float32'>>;
}

export interface TrainInMemoryOptions {
  /** The backend that runs the graphs (initialized here when it has init()). */
  backend: Backend;
  /** A registry with the host's own methods; the built-ins otherwise. */
  registry?: Registry;
  logger?: TrainingLogger;
  /** Where checkpoints go; memory (the newest of the run) otherwise. */
  checkpoints?: CheckpointStore;
  template?: PromptTemplate;
}

/** Trains `run` (validated) on `records`; run.model and run.data name nothing that is read. */
export async function trainInMemory(
  run: RunConfig,
  inputs: { model: InMemoryModel; tokenizer: Tokenizer; records: readonly SftRecord[] },
  options: TrainInMemoryOptions,
): Promise<TrainResult> {
  const registry = options.registry ?? registerBuiltins(new Registry());
  await options.backend.init?.();
  const container = new Container();
  container.bind<Registry>(TOKENS.Registry).toConstantValue(registry);
  container.bind<Backend>(TOKENS.Backend).toConstantValue(options.backend);
  container.bind<CheckpointStore>(TOKENS.CheckpointStore).toConstantValue(options.checkpoints ?? new MemoryCheckpointStore());
  if (options.logger) container.bind<TrainingLogger>(TOKENS.TrainingLogger).toConstantValue(options.logger);
  container.bind(Trainer).toSelf();
  const trainer = container.get(Trainer);
  trainer.resolveMethod(run); // an unknown method or bad options fail before any work
  // run.data.template as `train` reads it: one text for records with and without input.
  const runTemplate = run.data.template === undefined ? undefined : { withInput: run.data.template, withoutInput: run.data.template };
  const template = options.template ?? runTemplate ?? ALPACA_TEMPLATE;
  const { examples } = tokenizeDataset(inputs.records, inputs.tokenizer, { maxLength: run.data.maxLength, template });
  return trainer.train({ run, model: inputs.model, train: examples, padTokenId: inputs.tokenizer.padTokenId });
}

/**
 * The model's greedy answer to one instruction, prompted with the training template (bos first
 * when the tokenizer has one), as evaluation generates it: the decoded new tokens.
 */
export async function greedyAnswer(
  backend: Backend,
  model: InMemoryModel,
  tokenizer: Tokenizer,
  instruction: string,
  options: { maxNewTokens?: number; template?: PromptTemplate } = {},
): Promise<string> {
  const score = await evaluateGeneration(backend, model.config, model.weights, [{ instruction, output: '' }], tokenizer, {
    isCorrect: () => false,
    maxNewTokens: options.maxNewTokens ?? 32,
    batchSize: 1,
    ...(options.template ? { template: options.template } : {}),
  });
  return score.generations[0]!;
}
