/**
 * One fine-tuning run as a library call: load the model, tokenizer and data the run config names,
 * resolve the backend and the method, claim the output directory, train (evaluating on its
 * schedule when the config has an eval set) and return the result with the loaded model.
 *
 * Everything is validated before anything is written: the config, the method and its options,
 * the model, tokenizer and data, and, for a resume, that run.json and the data are those its
 * checkpoints were made with. Then the run claims run.output.dir (output-dir.ts: a new or empty
 * directory, or its own when resuming; a lock for the whole run), writes run.json and the record
 * of its start, and trains; checkpoints go there too. Exporting is the caller's choice
 * (saveModelDir), ideally in onTrained, while the run still holds the directory.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';
import type { Backend, EvalRecord, TensorStore, TrainingLogger } from '../core/contracts.js';
import type { RunConfig } from '../core/config/schema.js';
import { TOKENS } from '../core/di.js';
import { scoreNumeric } from '../core/eval/answers.js';
import { evaluateGeneration } from '../core/eval/evaluate.js';
import { type TargetModule, linearShape, linearWeightName } from '../core/model/config.js';
import type { Registry, ResolvedMethod } from '../core/registry.js';
import { Trainer, type TrainResult } from '../core/training/trainer.js';
import { SafetensorsStore } from '../adapters/huggingface/tensor-store.js';
import { createLift } from '../container.js';
import { RUN_OUTPUT, checkOutputDir, claimOutputDir } from './output-dir.js';
import { checkResumable, fingerprint, resumePoint, writeOrigin } from './resume.js';
import { adapterInit } from './variants.js';
import { type LoadedModel, loadData, loadModel, requireExamples, templateFrom } from './workspace.js';

export interface TrainOptions {
  /** A registry with the host's own methods; the built-ins otherwise. */
  registry?: Registry;
  logger?: TrainingLogger;
  store?: TensorStore;
  /** Continue the run in run.output.dir (wherever that directory is now) from its newest checkpoint. */
  resume?: boolean;
  /** Start a new run in a directory that holds an earlier lift-sft run; that run's files move to previous-<time>/. */
  force?: boolean;
  /** Called with the number of malformed records skipped (data.skipInvalid). */
  onSkipped?: (file: string, count: number) => void;
  /**
   * Lines for the user, before training: records dropped or cut, options that change the
   * method's nature, where a resume continues from. Default: the logger's message().
   */
  onNotice?: (text: string) => void;
  /** Called once everything is valid and the directory is claimed, before the first step. */
  onReady?: (info: ReadyInfo) => void;
  /** Called with the outcome while the run still holds its directory's lock: export here. */
  onTrained?: (outcome: TrainOutcome) => void | Promise<void>;
  /**
   * The run trains the target matrices of the model it loads in place instead of copying them
   * (Trainer's TrainRequest.adoptWeights): one copy of each trained matrix in memory, not two.
   * Default true: train() loads the model for this run alone. outcome.model.weights' target
   * matrices then hold the trained weights, not the base (result.weightsAdopted says so);
   * trainedSource reads the base from disk again for the exports that need it. false keeps
   * model.weights the untouched base, at the cost of a copy of every trained matrix.
   */
  adoptWeights?: boolean;
}

export interface ReadyInfo {
  /** For a resume: the checkpoint it continues from (null: none was written, it restarts at step 0) and its step. */
  resumeFrom?: { checkpoint: string | null; step: number };
}

export interface TrainOutcome {
  result: TrainResult;
  /**
   * The model the run loaded. With adoptWeights (the default) and a method that writes W (every
   * method but LoRA), its target matrices are the run's trained weights, not the base: reload
   * model.dir for the base (trainedSource does).
   */
  model: LoadedModel;
}

export async function train(config: RunConfig, options: TrainOptions = {}): Promise<TrainOutcome> {
  const notice = options.onNotice ?? ((text: string) => options.logger?.message?.(text));
  const claimOptions = { resume: options.resume ?? false, force: options.force ?? false };
  checkOutputDir(config.output.dir, RUN_OUTPUT, claimOptions); // a directory the run may not take fails before the model loads
  const model = await loadModel(config.model, config.tokenizer ?? config.model);
  // A run started from an adapter (init.adapter) takes its rank, alpha and modules, checked against the base model.
  const init = adapterInit(config, model, options.registry);
  const run = init?.run ?? config;
  const template = templateFrom(run.data.template);
  const data = loadData(run.data.train, model.tokenizer, { maxLength: run.data.maxLength, skipInvalid: run.data.skipInvalid, template });
  if (data.skipped > 0) options.onSkipped?.(run.data.train, data.skipped);
  requireExamples(data, run.data.train, run.data.maxLength);
  const evalData = run.data.eval
    ? loadData(run.data.eval, model.tokenizer, { maxLength: run.data.maxLength, skipInvalid: run.data.skipInvalid, template, limit: run.evaluation.maxRecords })
    : undefined;
  if (evalData) requireExamples(evalData, run.data.eval!, run.data.maxLength);
  for (const n of [...data.notices, ...(evalData?.notices ?? [])]) notice(n);
  const store = options.store ?? new SafetensorsStore();
  const container = await createLift({
    ...(options.registry ? { registry: options.registry } : {}),
    backends: [run.backend.name ?? (run.backend.executionProvider === 'cuda' ? 'onnxruntime-cuda' : 'onnxruntime-cpu')],
    compile: { deviceId: run.backend.deviceId, ...(run.backend.threads > 0 ? { intraOpThreads: run.backend.threads } : {}) },
    ...(options.logger ? { logger: options.logger } : {}),
    store,
  });
  const trainer = container.get(Trainer);
  const resolved = trainer.resolveMethod(run); // an unknown method or bad options fail before anything is written
  for (const c of caveats(resolved, model)) notice(`method ${resolved.method.name}: ${c}`);
  const train = fingerprint(run.data.train);

  const dir = run.output.dir;
  const claim = claimOutputDir(dir, RUN_OUTPUT, claimOptions);
  try {
    let ready: ReadyInfo = {};
    if (options.resume) {
      for (const n of checkResumable(dir, run, train)) notice(n);
      const point = resumePoint(dir, run, store);
      for (const n of point.notices) notice(n);
      ready = { resumeFrom: { checkpoint: point.checkpoint, step: point.step } };
    } else {
      writeOrigin(dir, run, train);
      writeFileAtomic(join(dir, 'run.json'), JSON.stringify(run, null, 2) + '\n');
      if (claim.archived) notice(`${dir} held an earlier run: its files moved to ${claim.archived}`);
    }
    options.onReady?.(ready);
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
      ...(init ? { init: { adapter: init.adapter.tensors, source: init.source } } : {}),
      // the model was loaded for this run alone: its trained matrices are the run's masters (no copy)
      adoptWeights: options.adoptWeights ?? true,
    });
    const outcome = { result, model };
    await options.onTrained?.(outcome);
    return outcome;
  } finally {
    claim.release();
  }
}

/** The method's warnings for this model's target matrices (see Parametrization.caveats). */
export function caveats(resolved: ResolvedMethod, model: Pick<LoadedModel, 'config'>): string[] {
  const modules = (resolved.options.targetModules as TargetModule[] | undefined) ?? [];
  const targets = [];
  for (let layer = 0; layer < model.config.numHiddenLayers; layer++) {
    for (const m of modules) {
      const [rows, cols] = linearShape(model.config, m);
      targets.push({ name: linearWeightName(layer, m), rows, cols });
    }
  }
  return resolved.parametrization.caveats?.(targets, resolved.options) ?? [];
}
