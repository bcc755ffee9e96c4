/**
 * The comparison behind `lift compare`: fine-tunes one base model on one dataset with every method
 * at the same budget and evaluates each (target accuracy by generation; source fact recall and
 * loss before and after; cost). It writes nothing itself: the caller gets the report after every
 * method (onUpdate) and decides where it goes.
 */
import os from 'node:os';
import { join } from 'node:path';
import type { Backend, TrainingLogger } from '../core/contracts.js';
import { validateRunConfig } from '../core/config/validate.js';
import type { SftRecord } from '../core/data/record.js';
import { TOKENS } from '../core/di.js';
import { ConfigError } from '../core/errors.js';
import { answerMatches, shortAnswerMatches } from '../core/eval/answers.js';
import { evaluateGeneration, evaluateLoss } from '../core/eval/evaluate.js';
import type { Registry } from '../core/registry.js';
import type { Tensor } from '../core/tensor.js';
import { Trainer } from '../core/training/trainer.js';
import { createLift } from '../container.js';
import { type CompareOptions, SHARED_METHOD_OPTIONS } from './compare-options.js';
import type { CompareReport, MethodReport, SeedRun } from './compare-report.js';
import { summarize } from './summarize.js';
import { COMPARE_OUTPUT, checkOutputDir, claimOutputDir } from './output-dir.js';
import { caveats } from './train.js';
import { type LoadedModel, loadData, loadModel, requireExamples } from './workspace.js';

/** What a compare runs in, beside its options. */
export interface CompareContext {
  /** The registry to resolve methods from (host apps pass theirs with their own methods). */
  registry?: Registry;
  /** The command line, recorded in report.json. */
  command?: string[];
  /** Called with the report after it is set up and after every method (done or failed). */
  onUpdate?: (report: CompareReport) => void;
  /** Progress lines. */
  log?: (text: string) => void;
  /** The logger of one training run (label: the method, or method#seed; dir: the run's own folder). */
  logger?: (label: string, dir: string) => TrainingLogger;
}

/**
 * The options one method trains with in a compare: its learning rate (an --lr override, else its
 * plugin's recipe lr × lrScale), the shared budget options its options schema declares (one
 * budget rank for all; LoRA at the matched rank), then its --option overrides.
 */
export function methodOptions(method: string, o: CompareOptions, registry: Registry): Record<string, unknown> {
  const { properties } = registry.methodSchema(method);
  const recipe = properties.lr?.default;
  const lr = o.lr[method] ?? (typeof recipe === 'number' ? recipe * o.lrScale : undefined);
  if (lr === undefined) {
    throw new ConfigError([{ path: `/lr/${method}`, message: `method '${method}' has no default learning rate in its options schema; pass --lr ${method}=<value>` }]);
  }
  const shared = Object.fromEntries(SHARED_METHOD_OPTIONS.filter((k) => k in properties).map((k) => [k, o[k]]));
  return { lr, ...shared, ...o.option[method] };
}

/**
 * Checks, before anything is written, that every per-method key (--lr, --option) names a
 * registered method and that each compared method's options satisfy its schema. Every violation
 * is thrown at once, with the path of the compare option it came from.
 */
function checkMethodOptions(o: CompareOptions, registry: Registry): Record<string, Record<string, unknown>> {
  const violations: { path: string; message: string }[] = [];
  const known = registry.methodNames();
  for (const key of ['lr', 'option'] as const) {
    for (const m of Object.keys(o[key])) {
      if (!known.includes(m)) violations.push({ path: `/${key}/${m}`, message: `unknown method '${m}'; registered methods: ${known.join(', ')}` });
    }
  }
  const resolved: Record<string, Record<string, unknown>> = {};
  for (const m of o.methods) {
    try {
      const options = methodOptions(m, o, registry);
      // The method's own validation, the one every run gets; its paths are mapped back to the compare option they came from.
      registry.resolve(m, options, '');
      resolved[m] = options;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      for (const v of e.violations) {
        const [, field = '', ...rest] = v.path.split('/');
        violations.push({ path: field ? optionPath(m, field, o) + rest.map((r) => `/${r}`).join('') : `/option/${m}`, message: v.message });
      }
    }
  }
  if (violations.length) throw new ConfigError(violations);
  return resolved;
}

/** The compare option a method option came from: --option, --lr or a shared budget option. */
function optionPath(method: string, field: string, o: CompareOptions): string {
  if (field in (o.option[method] ?? {})) return `/option/${method}/${field}`;
  if (field === 'lr' && o.lr[method] !== undefined) return `/lr/${method}`;
  if ((SHARED_METHOD_OPTIONS as readonly string[]).includes(field)) return `/${field}`;
  return `/option/${method}/${field}`;
}

/** The methods of a finished compare that failed. */
export function failedMethods(report: CompareReport): string[] {
  return report.methods.filter((m) => m.status === 'failed').map((m) => m.method);
}

/**
 * Runs a compare with validated, complete options (compareOptions makes them). Returns the report
 * also when methods failed (they are marked 'failed' in it; see failedMethods).
 */
export async function compare(o: CompareOptions, context: CompareContext = {}): Promise<CompareReport> {
  const compile = o.threads > 0 ? { intraOpThreads: o.threads } : {};
  const container = await createLift({
    ...(context.registry ? { registry: context.registry } : {}),
    backends: [o.executionProvider === 'cuda' ? 'onnxruntime-cuda' : 'onnxruntime-cpu'],
    compile,
  });
  const registry = container.get<Registry>(TOKENS.Registry);
  for (const m of o.methods) registry.method(m); // unknown names fail now, listing the registered ones
  const options = checkMethodOptions(o, registry); // and so do bad method options, before anything is written
  const backend = container.get<Backend>(TOKENS.Backend);
  const say = context.log ?? (() => {});

  checkOutputDir(o.out, COMPARE_OUTPUT, { force: o.force }); // a folder the compare may not take fails before the model loads
  const model = await loadModel(o.model);
  const tok = model.tokenizer;
  const train = loadData(o.train, tok, { maxLength: o.maxLength });
  const test = loadData(o.test, tok, { maxLength: o.maxLength, limit: o.testLimit });
  const source = loadData(o.source, tok, { maxLength: o.maxLength, limit: o.sourceLimit });
  requireExamples(train, o.train, o.maxLength);
  if (test.records.length === 0) requireExamples(test, o.test, o.maxLength);
  if (source.records.length === 0) requireExamples(source, o.source, o.maxLength);
  for (const n of [...train.notices, ...test.notices, ...source.notices]) say(`note: ${n}`);
  for (const m of o.methods) for (const c of caveats(registry.resolve(m, options[m]!), model)) say(`note: method ${m}: ${c}`);
  const evalOpts = { maxNewTokens: o.maxNewTokens, batchSize: o.evalBatchSize, compile };
  const sourceScore = async (weights: ReadonlyMap<string, Tensor>) => {
    const acc = await evaluateGeneration(backend, model.config, weights, source.records, tok, {
      ...evalOpts,
      maxNewTokens: 32,
      isCorrect: (g: string, r: SftRecord) => shortAnswerMatches(g, r.answer ?? ''),
    });
    const loss = await evaluateLoss(backend, model.config, weights, source.tokenized.examples, { batchSize: o.batchSize, padTokenId: tok.padTokenId, compile });
    return { accuracy: acc.accuracy, loss: loss.loss };
  };

  // Everything is valid: the compare claims its folder (new or empty, or an earlier report with
  // force) and holds its lock until the last method is done.
  const claim = claimOutputDir(o.out, COMPARE_OUTPUT, { force: o.force });
  try {
    say(`lift compare: ${o.methods.join(', ')} on ${o.model}, ${o.steps} steps, ${o.seeds} seed(s); report in ${o.out}`);
    say('evaluating the base model on the source set...');
    const before = await sourceScore(model.weights);
    say(`  base model: source fact recall ${(before.accuracy * 100).toFixed(1)}%, source loss ${before.loss.toFixed(4)}`);
    say(`evaluating the base model on ${test.records.length} test records...`);
    const baseTarget = await evaluateGeneration(backend, model.config, model.weights, test.records, tok, { ...evalOpts, isCorrect: answerMatches });
    say(`  base model: target accuracy ${(baseTarget.accuracy * 100).toFixed(1)}%`);

    const seeds = Array.from({ length: o.seeds }, (_, i) => o.seed + i);
    const report: CompareReport = {
      schemaVersion: 1,
      createdAt: new Date().toISOString(),
      command: context.command ?? ['lift', 'compare'],
      model: { dir: o.model, modelType: model.config.modelType, parameters: countParameters(model) },
      data: { train: o.train, test: o.test, source: o.source, testRecords: test.records.length, sourceRecords: source.records.length },
      settings: { steps: o.steps, seeds, batchSize: o.batchSize, maxLength: o.maxLength, backend: backend.name, executionProvider: o.executionProvider },
      machine: { cpus: os.cpus().length, node: process.version, platform: `${process.platform}-${process.arch}` },
      base: { targetAccuracy: baseTarget.accuracy, sourceAccuracy: before.accuracy, sourceLoss: before.loss },
      methods: o.methods.map((m) => ({ method: m, options: options[m]!, status: 'pending', runs: [] })),
    };
    context.onUpdate?.(report);

    const trainer = container.get(Trainer);
    const env = { o, model, train: train.tokenized.examples, testRecords: test.records, trainer, backend, before, sourceScore, evalOpts, say, logger: context.logger };
    for (const entry of report.methods) {
      try {
        for (const seed of seeds) entry.runs.push(await runOne(entry, seed, env));
        const { mean, std } = summarize(entry.runs);
        Object.assign(entry, { status: 'done', mean, std });
      } catch (e) {
        entry.status = 'failed';
        entry.error = (e as Error).message;
        say(`  ${entry.method} failed: ${entry.error}`);
      }
      context.onUpdate?.(report);
    }
    return report;
  } finally {
    claim.release();
  }
}

interface RunEnv {
  o: CompareOptions;
  model: LoadedModel;
  train: Parameters<Trainer['train']>[0]['train'];
  testRecords: SftRecord[];
  trainer: Trainer;
  backend: Backend;
  before: { accuracy: number; loss: number };
  sourceScore: (w: ReadonlyMap<string, Tensor>) => Promise<{ accuracy: number; loss: number }>;
  evalOpts: { maxNewTokens: number; batchSize: number };
  say: (s: string) => void;
  logger: CompareContext['logger'];
}

async function runOne(entry: MethodReport, seed: number, env: RunEnv): Promise<SeedRun> {
  const { o, model, testRecords, trainer, backend, before, sourceScore, evalOpts, say } = env;
  const label = o.seeds > 1 ? `${entry.method}#${seed}` : entry.method;
  say(`\n[${label}] fine-tuning ${o.steps} steps`);
  const peak = new PeakRss();
  const run = validateRunConfig({
    model: o.model,
    data: { train: o.train, maxLength: o.maxLength },
    method: { name: entry.method, options: entry.options },
    steps: o.steps,
    batchSize: o.batchSize,
    seed,
    schedule: { type: 'linear', warmupRatio: o.warmupRatio },
    evaluation: { every: 0 },
    output: { dir: join(o.out, 'runs', label), checkpointEvery: 0 },
    backend: { executionProvider: o.executionProvider, threads: o.threads },
  });
  const logger = sampling(env.logger?.(label, run.output.dir), () => peak.sample());
  const t0 = Date.now();
  const result = await trainer.withLogger(logger).train({ run, model, train: env.train, padTokenId: model.tokenizer.padTokenId });
  peak.sample();
  const weights = result.weights();
  say(`[${label}] evaluating target accuracy on ${testRecords.length} test records`);
  const target = await evaluateGeneration(backend, model.config, weights, testRecords, model.tokenizer, {
    ...evalOpts,
    isCorrect: (g, r) => answerMatches(g, r),
  });
  peak.sample();
  const after = await sourceScore(weights);
  peak.sample();
  const wallSeconds = (Date.now() - t0) / 1000;
  say(
    `[${label}] target ${(target.accuracy * 100).toFixed(1)}% | source recall ${(after.accuracy * 100).toFixed(1)}% ` +
      `(before ${(before.accuracy * 100).toFixed(1)}%) | loss ${result.finalLoss.toFixed(4)} | ${wallSeconds.toFixed(0)} s`,
  );
  return {
    seed,
    targetAccuracy: target.accuracy,
    sourceAccuracyBefore: before.accuracy,
    sourceAccuracyAfter: after.accuracy,
    sourceRetention: after.accuracy / before.accuracy,
    sourceLossBefore: before.loss,
    sourceLossAfter: after.loss,
    finalTrainLoss: result.finalLoss,
    trainableParams: result.trainableParams,
    optimizerStateBytes: result.optimizerStateBytes,
    peakRssBytes: peak.max,
    wallSeconds,
    tokensPerSecond: result.tokensPerSecond,
    lossCurve: result.losses,
  };
}

/** The caller's logger (or none), with resident memory sampled at every step. */
function sampling(logger: TrainingLogger | undefined, sample: () => void): TrainingLogger {
  return {
    start: (info) => logger?.start?.(info),
    step: (record) => {
      sample();
      logger?.step(record);
    },
    eval: (record) => logger?.eval?.(record),
    message: (text) => logger?.message?.(text),
    end: () => logger?.end?.(),
  };
}

/** Resident memory sampled at every step and evaluation of one method's run. */
class PeakRss {
  max = process.memoryUsage().rss;
  sample(): void {
    this.max = Math.max(this.max, process.memoryUsage().rss);
  }
}

function countParameters(model: LoadedModel): number {
  let n = 0;
  for (const t of model.weights.values()) n += t.data.length;
  return n;
}
