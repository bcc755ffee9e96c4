/**
 * `lift compare`: fine-tunes one base model on one dataset with every method at the same budget,
 * evaluates each (target accuracy by generation; source fact recall and loss before and after;
 * cost), and writes report.json, report.md and report.html — after each method, so an
 * interrupted compare leaves the finished methods readable.
 */
import os from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../../../core/contracts.js';
import { validateRunConfig } from '../../../core/config/validate.js';
import type { SftRecord } from '../../../core/data/record.js';
import { TOKENS } from '../../../core/di.js';
import { scoreNumeric, shortAnswerMatches } from '../../../core/eval/answers.js';
import { evaluateGeneration, evaluateLoss } from '../../../core/eval/evaluate.js';
import { Registry } from '../../../core/registry.js';
import { Trainer } from '../../../core/training/trainer.js';
import { createLift } from '../../../index.js';
import { type CompareReport, type MethodReport, ReportWriter, type SeedRun, formatTable, summarize } from '../report/index.js';
import { CliTrainingLogger } from '../training-logger.js';
import { type LoadedModel, loadData, loadModel } from '../workspace.js';
import { COMPARE_DEFAULTS } from './compare-defaults.js';

export interface CompareOptions {
  model: string;
  train: string;
  test: string;
  source: string;
  methods: string[];
  steps: number;
  seeds: number;
  seed: number;
  batchSize: number;
  maxLength: number;
  rank: number;
  filterRank: number;
  interval: number;
  loraAlpha: number;
  lr: Record<string, number>;
  testLimit: number;
  sourceLimit: number;
  maxNewTokens: number;
  threads: number;
  executionProvider: 'cpu' | 'cuda';
  out: string;
  force: boolean;
  quiet: boolean;
  /** The registry to resolve methods from (host apps pass theirs with their own methods). */
  registry?: Registry;
  command?: string[];
}

export function compareOptions(partial: Partial<CompareOptions>): CompareOptions {
  const d = COMPARE_DEFAULTS;
  return {
    model: d.model,
    train: d.train,
    test: d.test,
    source: d.source,
    methods: d.methods,
    steps: d.steps,
    seeds: d.seeds,
    seed: d.seed,
    batchSize: d.batchSize,
    maxLength: d.maxLength,
    rank: d.rank,
    filterRank: d.filterRank,
    interval: d.interval,
    loraAlpha: d.loraAlpha,
    testLimit: d.testLimit,
    sourceLimit: d.sourceLimit,
    maxNewTokens: d.maxNewTokens,
    threads: 0,
    executionProvider: 'cpu',
    out: join('runs', `compare-${new Date().toISOString().replace(/[:.]/g, '-')}`),
    force: false,
    quiet: false,
    ...partial,
    lr: { ...d.lr, ...partial.lr },
  };
}

/** The per-method options of a compare: one budget rank for all, LoRA at the matched rank. */
function methodOptions(method: string, o: CompareOptions): Record<string, unknown> {
  const lr = o.lr[method] ?? COMPARE_DEFAULTS.fallbackLr;
  if (method === 'lora') return { lr, rank: o.rank, alpha: o.loraAlpha };
  if (method === 'full') return { lr };
  if (method === 'lift') return { lr, rank: o.rank, filterRank: o.filterRank, interval: o.interval };
  return { lr, rank: o.rank, interval: o.interval };
}

export async function compareCommand(options: Partial<CompareOptions>): Promise<CompareReport> {
  const o = compareOptions(options);
  const writer = ReportWriter.open(o.out, { force: o.force });
  const compile = o.threads > 0 ? { intraOpThreads: o.threads } : {};
  const container = await createLift({
    ...(o.registry ? { registry: o.registry } : {}),
    backends: [o.executionProvider === 'cuda' ? 'onnxruntime-cuda' : 'onnxruntime-cpu'],
    compile,
  });
  const registry = container.get<Registry>(TOKENS.Registry);
  for (const m of o.methods) registry.method(m); // unknown names fail now, listing the registered ones
  const backend = container.get<Backend>(TOKENS.Backend);
  const say = (text: string) => process.stderr.write(`${text}\n`);

  const model = await loadModel(o.model);
  const tok = model.tokenizer;
  const train = loadData(o.train, tok, { maxLength: o.maxLength });
  const test = loadData(o.test, tok, { maxLength: o.maxLength, limit: o.testLimit });
  const source = loadData(o.source, tok, { maxLength: o.maxLength, limit: o.sourceLimit });
  const evalOpts = { maxNewTokens: o.maxNewTokens, batchSize: COMPARE_DEFAULTS.evalBatchSize, compile };
  const sourceScore = async (weights: ReadonlyMap<string, import('../../../core/tensor.js').Tensor>) => {
    const acc = await evaluateGeneration(backend, model.config, weights, source.records, tok, {
      ...evalOpts,
      maxNewTokens: 32,
      isCorrect: (g: string, r: SftRecord) => shortAnswerMatches(g, r.answer ?? ''),
    });
    const loss = await evaluateLoss(backend, model.config, weights, source.tokenized.examples, { batchSize: o.batchSize, padTokenId: tok.padTokenId, compile });
    return { accuracy: acc.accuracy, loss: loss.loss };
  };

  say(`lift compare: ${o.methods.join(', ')} on ${o.model}, ${o.steps} steps, ${o.seeds} seed(s); report in ${o.out}`);
  say('evaluating the base model on the source set...');
  const before = await sourceScore(model.weights);
  say(`  base model: source fact recall ${(before.accuracy * 100).toFixed(1)}%, source loss ${before.loss.toFixed(4)}`);

  const seeds = Array.from({ length: o.seeds }, (_, i) => o.seed + i);
  const report: CompareReport = {
    schemaVersion: 1,
    createdAt: new Date().toISOString(),
    command: o.command ?? ['lift', 'compare'],
    model: { dir: o.model, modelType: model.config.modelType, parameters: countParameters(model) },
    data: { train: o.train, test: o.test, source: o.source, testRecords: test.records.length, sourceRecords: source.records.length },
    settings: { steps: o.steps, seeds, batchSize: o.batchSize, maxLength: o.maxLength, backend: backend.name, executionProvider: o.executionProvider },
    machine: { cpus: os.cpus().length, node: process.version, platform: `${process.platform}-${process.arch}` },
    methods: o.methods.map((m) => ({ method: m, options: methodOptions(m, o), status: 'pending', runs: [] })),
  };
  writer.write(report);

  const trainer = container.get(Trainer);
  for (const entry of report.methods) {
    try {
      for (const seed of seeds) entry.runs.push(await runOne(entry, seed, o, model, train.tokenized.examples, test.records, trainer, backend, before, sourceScore, evalOpts, say));
      const { mean, std } = summarize(entry.runs);
      Object.assign(entry, { status: 'done', mean, std });
    } catch (e) {
      entry.status = 'failed';
      entry.error = (e as Error).message;
      say(`  ${entry.method} failed: ${entry.error}`);
    }
    writer.write(report);
  }
  say('');
  process.stdout.write(formatTable(report) + '\n');
  say(`\nwrote ${join(o.out, 'report.md')}, report.html and report.json`);
  return report;
}

async function runOne(
  entry: MethodReport,
  seed: number,
  o: CompareOptions,
  model: LoadedModel,
  train: Parameters<Trainer['train']>[0]['train'],
  testRecords: SftRecord[],
  trainer: Trainer,
  backend: Backend,
  before: { accuracy: number; loss: number },
  sourceScore: (w: ReadonlyMap<string, import('../../../core/tensor.js').Tensor>) => Promise<{ accuracy: number; loss: number }>,
  evalOpts: { maxNewTokens: number; batchSize: number },
  say: (s: string) => void,
): Promise<SeedRun> {
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
    schedule: { type: 'linear', warmupRatio: COMPARE_DEFAULTS.warmupRatio },
    evaluation: { every: 0 },
    output: { dir: join(o.out, 'runs', label), checkpointEvery: 0 },
    backend: { executionProvider: o.executionProvider, threads: o.threads },
  });
  const logger = new CliTrainingLogger({ label, logFile: join(run.output.dir, 'train.jsonl'), printEvery: o.quiet ? 0 : 25, onStep: () => peak.sample() });
  const t0 = Date.now();
  const result = await trainer.withLogger(logger).train({ run, model, train, padTokenId: model.tokenizer.padTokenId });
  peak.sample();
  const weights = result.weights();
  say(`[${label}] evaluating target accuracy on ${testRecords.length} test records`);
  const target = await evaluateGeneration(backend, model.config, weights, testRecords, model.tokenizer, {
    ...evalOpts,
    isCorrect: (g, r) => scoreNumeric(g, r).correct,
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
