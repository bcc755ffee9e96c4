/**
 * One fine-tuning run as a library call: load the model, tokenizer and data the run config names,
 * resolve the backend, train (evaluating on its schedule when the config has an eval set) and
 * return the result with the loaded model. Writes only what the trainer writes (checkpoints in
 * run.output.dir when checkpointEvery > 0 or at the end); exporting is the caller's choice
 * (saveModelDir).
 */
import type { Backend, EvalRecord, TensorStore, TrainingLogger } from '../core/contracts.js';
import type { RunConfig } from '../core/config/schema.js';
import { TOKENS } from '../core/di.js';
import { scoreNumeric } from '../core/eval/answers.js';
import { evaluateGeneration } from '../core/eval/evaluate.js';
import type { Registry } from '../core/registry.js';
import { Trainer, type TrainResult } from '../core/training/trainer.js';
import { createLift } from '../container.js';
import { type LoadedModel, loadData, loadModel, templateFrom } from './workspace.js';

export interface TrainOptions {
  /** A registry with the host's own methods; the built-ins otherwise. */
  registry?: Registry;
  logger?: TrainingLogger;
  store?: TensorStore;
  /** Continue from the newest checkpoint in run.output.dir. */
  resume?: boolean;
  /** Called with the number of malformed records skipped (data.skipInvalid). */
  onSkipped?: (file: string, count: number) => void;
  /** Called once the method, its options and the data are valid, before the first step. */
  onReady?: () => void;
}

export interface TrainOutcome {
  result: TrainResult;
  model: LoadedModel;
}

export async function train(run: RunConfig, options: TrainOptions = {}): Promise<TrainOutcome> {
  const model = await loadModel(run.model, run.tokenizer ?? run.model);
  const template = templateFrom(run.data.template);
  const data = loadData(run.data.train, model.tokenizer, { maxLength: run.data.maxLength, skipInvalid: run.data.skipInvalid, template });
  if (data.skipped > 0) options.onSkipped?.(run.data.train, data.skipped);
  const evalData = run.data.eval
    ? loadData(run.data.eval, model.tokenizer, { maxLength: run.data.maxLength, skipInvalid: run.data.skipInvalid, template, limit: run.evaluation.maxRecords })
    : undefined;
  const container = await createLift({
    ...(options.registry ? { registry: options.registry } : {}),
    backends: [run.backend.name ?? (run.backend.executionProvider === 'cuda' ? 'onnxruntime-cuda' : 'onnxruntime-cpu')],
    compile: { deviceId: run.backend.deviceId, ...(run.backend.threads > 0 ? { intraOpThreads: run.backend.threads } : {}) },
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.store ? { store: options.store } : {}),
  });
  const trainer = container.get(Trainer);
  trainer.resolveMethod(run); // an unknown method or bad options fail before anything is written
  options.onReady?.();
  const backend = container.get<Backend>(TOKENS.Backend);
  const result = await trainer.train({
    run,
    model,
    train: data.tokenized.examples,
    padTokenId: model.tokenizer.padTokenId,
    ...(evalData ? { evalSets: [{ name: 'eval', examples: evalData.tokenized.examples }] } : {}),
    ...(evalData && run.evaluation.generate
      ? {
          evaluate: async ({ step, weights }): Promise<EvalRecord[]> => {
            const score = await evaluateGeneration(backend, model.config, weights(), evalData.records, model.tokenizer, {
              isCorrect: (g, r) => scoreNumeric(g, r).correct,
              maxNewTokens: run.evaluation.maxNewTokens,
              batchSize: Math.max(run.batchSize, 16),
              ...(template ? { template } : {}),
            });
            return [{ step, split: 'eval', accuracy: score.accuracy, records: score.total }];
          },
        }
      : {}),
    resume: Boolean(options.resume),
  });
  return { result, model };
}
