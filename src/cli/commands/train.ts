/**
 * `lift train --config run.json` and `lift train --resume <dir>`: one fine-tuning run, logged as
 * JSONL, checkpointed, and exported as a Hugging Face model directory (plus the LoRA adapter or
 * the sparse masks).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic-write.js';
import type { RunConfig } from '../../core/config/schema.js';
import { validateRunConfig } from '../../core/config/validate.js';
import { ConfigError, FileFormatError, LiftError } from '../../core/errors.js';
import { type TrainResult, saveModelDir, train } from '../../index.js';
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

export async function trainCommand(opts: { config?: string; resume?: string; quiet?: boolean }): Promise<TrainResult> {
  let run: RunConfig;
  if (opts.resume) {
    const file = join(opts.resume, RUN_FILE);
    if (!existsSync(file)) throw new FileFormatError('E_CHECKPOINT', file, 'is missing: --resume takes the output directory of an earlier `lift train`');
    run = readRunConfig(file);
  } else if (opts.config) {
    run = readRunConfig(opts.config);
    if (existsSync(join(run.output.dir, RUN_FILE))) {
      throw new LiftError(
        'E_OUTPUT_EXISTS',
        `${run.output.dir} already holds a run (${RUN_FILE}); continue it with \`lift train --resume ${run.output.dir}\` or choose another output.dir`,
      );
    }
  } else {
    throw new ConfigError([{ path: '/', message: 'pass --config <run.json> or --resume <output dir>' }]);
  }

  const logger = new CliTrainingLogger({ logFile: join(run.output.dir, 'train.jsonl'), printEvery: opts.quiet ? 0 : 10 });
  const { result, model } = await train(run, {
    logger,
    resume: Boolean(opts.resume),
    onSkipped: (file, n) => process.stderr.write(`skipped ${n} malformed records in ${file}\n`),
    // The output dir is claimed only once the method, its options and the data are known to be valid.
    onReady: () => {
      if (!opts.resume) writeFileAtomic(join(run.output.dir, RUN_FILE), JSON.stringify(run, null, 2) + '\n');
    },
  });
  exportRun(run, model.tokenizerDir, model.config, result);
  return result;
}

/** The trained model as a Hugging Face directory, plus the LoRA adapter (PEFT layout) and a summary. */
function exportRun(run: RunConfig, tokenizerDir: string, config: Parameters<typeof saveModelDir>[1], result: TrainResult): void {
  const out = run.output.dir;
  saveModelDir(join(out, 'model'), config, result.weights(), { dtype: run.output.dtype, tokenizerFrom: tokenizerDir });
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
