/**
 * `lift train --config run.json` and `lift train --resume <dir>`: one fine-tuning run, logged as
 * JSONL, checkpointed, and exported as a Hugging Face model directory, all in an output directory
 * the run owns (the library's train claims and locks it; see src/api/output-dir.ts).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic-write.js';
import type { RunConfig } from '../../core/config/schema.js';
import { validateRunConfig } from '../../core/config/validate.js';
import { ConfigError, LiftError } from '../../core/errors.js';
import { type LoadedModel, type TrainResult, train } from '../../index.js';
import { type ExportFormat, naturalFormats, parseFormats, trainedSource, writeExports } from '../../api/export.js';
import { CliTrainingLogger } from '../training-logger.js';

const RUN_FILE = 'run.json';

export function readRunConfig(file: string): RunConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError([{ path: '/', message: `cannot read JSON: ${(e as Error).message}` }], file);
  }
  return validateRunConfig(raw, file);
}

/** The run.json of the directory --resume names, with output.dir set to that directory (a run may have been moved). */
function resumedRun(dir: string): RunConfig {
  const file = join(dir, RUN_FILE);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new LiftError('E_RESUME', `${dir} is not a directory: --resume takes the output directory of an earlier \`lift train\``, { dir });
  try {
    statSync(file);
  } catch {
    throw new LiftError('E_RESUME', `${file} is missing: --resume takes the output directory of an earlier \`lift train\``, { dir });
  }
  const run = readRunConfig(file);
  return { ...run, output: { ...run.output, dir } };
}

export interface TrainCommandOptions {
  config?: string;
  resume?: string;
  quiet?: boolean;
  force?: boolean;
  /** Formats the run's end writes (hf,onnx,peft,delta); default hf and the method's natural adapter. */
  export?: string;
}

export async function trainCommand(opts: TrainCommandOptions): Promise<TrainResult> {
  if (opts.resume !== undefined && (opts.config !== undefined || opts.force)) {
    throw new LiftError('E_USAGE', '--resume continues a run with its own run.json: it takes neither --config nor --force');
  }
  let run: RunConfig;
  if (opts.resume !== undefined) run = resumedRun(opts.resume);
  else if (opts.config !== undefined) run = readRunConfig(opts.config);
  else throw new LiftError('E_USAGE', 'pass --config <run.json> for a new run or --resume <output dir> to continue one (see lift train --help)');
  // A bad --export fails before the run starts, not after it trained.
  const formats = opts.export === undefined ? undefined : parseFormats(opts.export, '--export');

  const logger = new CliTrainingLogger({ logFile: join(run.output.dir, 'train.jsonl'), printEvery: opts.quiet ? 0 : 10 });
  const { result } = await train(run, {
    logger,
    resume: opts.resume !== undefined,
    force: opts.force ?? false,
    // Before the run claims its directory nothing may be written there: notes go to stderr only.
    onNotice: (text) => process.stderr.write(`lift: note: ${text}\n`),
    onReady: ({ resumeFrom }) => {
      if (resumeFrom) logger.resumed(resumeFrom);
    },
    onTrained: ({ result, model }) => exportRun(run, model, result, formats),
  });
  return result;
}

/**
 * The trained model as a Hugging Face directory plus the method's own adapter (PEFT for LoRA, the
 * sparse delta for sparse methods) or the formats --export names, then result.json last: its
 * presence marks a finished run (lift export reads it).
 */
function exportRun(run: RunConfig, model: LoadedModel, result: TrainResult, formats?: ExportFormat[]): void {
  const out = run.output.dir;
  const src = trainedSource(run, model, result);
  writeExports(out, src, formats ?? ['hf', ...naturalFormats(src)]);
  const summary = {
    method: result.method,
    options: result.options,
    steps: result.steps,
    finalLoss: result.finalLoss,
    trainableParams: result.trainableParams,
    optimizerStateBytes: result.optimizerStateBytes,
    maskBytes: result.maskBytes,
    tokens: result.tokens,
    wallSeconds: result.wallSeconds,
    tokensPerSecond: result.tokensPerSecond,
    evals: result.evals,
  };
  writeFileAtomic(join(out, 'result.json'), JSON.stringify(summary, null, 2) + '\n');
}
