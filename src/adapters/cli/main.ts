/**
 * The `lift` command line: schema, train, compare. Errors lift-sft raises on bad input are
 * printed as one line with their code; anything else is a bug and keeps its stack trace.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { RUN_SCHEMA } from '../../core/config/schema.js';
import { ConfigError, LiftError } from '../../core/errors.js';
import { type CompareOptions, compareCommand } from './commands/compare.js';
import { COMPARE_DEFAULTS } from './commands/compare-defaults.js';
import { trainCommand } from './commands/train.js';

const USAGE = `usage: lift <command> [options]

commands:
  schema                         print the JSON Schema of a run configuration
  train --config <run.json>      fine-tune as the configuration says
  train --resume <output dir>    continue a killed run from its newest checkpoint
  compare [options]              LIFT and every baseline side by side (see docs/compare.md)

compare options (defaults: the bundled fixtures):
  --model <dir>        model directory in Hugging Face layout   (${COMPARE_DEFAULTS.model})
  --train <file>       training records .json/.jsonl            (${COMPARE_DEFAULTS.train})
  --test <file>        held-out target records                  (${COMPARE_DEFAULTS.test})
  --source <file>      source-domain facts (forgetting)         (${COMPARE_DEFAULTS.source})
  --methods <a,b,..>   registered methods                       (${COMPARE_DEFAULTS.methods.join(',')})
  --steps <n>          optimizer steps per method               (${COMPARE_DEFAULTS.steps})
  --seeds <n>          seeds per method (mean ± std)            (${COMPARE_DEFAULTS.seeds})
  --rank <r>           budget rank: k = (m+n)·r, LoRA rank r     (${COMPARE_DEFAULTS.rank})
  --filter-rank <r>    LIFT's rank reduction                    (${COMPARE_DEFAULTS.filterRank})
  --interval <n>       mask refresh interval in steps           (${COMPARE_DEFAULTS.interval})
  --lora-alpha <a>     LoRA alpha                               (${COMPARE_DEFAULTS.loraAlpha})
  --lr <m=v,...>       learning rates per method, e.g. lift=2e-3,full=5e-4
  --batch-size <n>     (${COMPARE_DEFAULTS.batchSize})   --max-length <n> (${COMPARE_DEFAULTS.maxLength})
  --test-limit <n>     (${COMPARE_DEFAULTS.testLimit})  --source-limit <n> (${COMPARE_DEFAULTS.sourceLimit})
  --threads <n>        ONNX Runtime intra-op threads (0: its default)
  --cuda               run on the CUDA execution provider
  --config <file>      a JSON file with any of these options (camelCase keys)
  --out <dir>          report folder (default: a fresh folder under runs/)
  --force              overwrite a report already in --out
  --quiet              less progress output
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 1;
  }
  try {
    if (command === 'schema') {
      process.stdout.write(JSON.stringify(RUN_SCHEMA, null, 2) + '\n');
      return 0;
    }
    if (command === 'train') {
      const { values } = parseArgs({ args: rest, options: { config: { type: 'string' }, resume: { type: 'string' }, quiet: { type: 'boolean' } } });
      const r = await trainCommand(values);
      process.stdout.write(`trained ${r.method} for ${r.steps} steps: final loss ${r.finalLoss.toFixed(4)}, ${r.trainableParams} trainable parameters\n`);
      return 0;
    }
    if (command === 'compare') {
      await compareCommand({ ...parseCompareArgs(rest), command: ['lift', ...argv] });
      return 0;
    }
    process.stderr.write(`lift: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  } catch (e) {
    if (e instanceof LiftError) {
      process.stderr.write(`lift: error [${e.code}]: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

function parseCompareArgs(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string' },
      train: { type: 'string' },
      test: { type: 'string' },
      source: { type: 'string' },
      methods: { type: 'string' },
      steps: { type: 'string' },
      seeds: { type: 'string' },
      rank: { type: 'string' },
      'filter-rank': { type: 'string' },
      interval: { type: 'string' },
      'lora-alpha': { type: 'string' },
      lr: { type: 'string' },
      'batch-size': { type: 'string' },
      'max-length': { type: 'string' },
      'test-limit': { type: 'string' },
      'source-limit': { type: 'string' },
      threads: { type: 'string' },
      cuda: { type: 'boolean' },
      config: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
      quiet: { type: 'boolean' },
    },
  });
  const fromFile = values.config ? readCompareConfig(values.config) : {};
  const int = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new LiftError('E_INVALID_ARGUMENT', `--${flag} takes a whole number, got '${v}'`);
    return n;
  };
  const num = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new LiftError('E_INVALID_ARGUMENT', `--${flag} takes a positive number, got '${v}'`);
    return n;
  };
  const lr: Record<string, number> = { ...(fromFile.lr ?? {}) };
  for (const pair of values.lr?.split(',').filter(Boolean) ?? []) {
    const [m, v] = pair.split('=');
    const n = num('lr', v);
    if (!m || n === undefined) throw new LiftError('E_INVALID_ARGUMENT', `--lr takes method=value pairs, got '${pair}'`);
    lr[m] = n;
  }
  const defined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  return {
    ...fromFile,
    ...defined({
      model: values.model,
      train: values.train,
      test: values.test,
      source: values.source,
      methods: values.methods?.split(',').map((s) => s.trim()).filter(Boolean),
      steps: int('steps', values.steps),
      seeds: int('seeds', values.seeds),
      rank: int('rank', values.rank),
      filterRank: int('filter-rank', values['filter-rank']),
      interval: int('interval', values.interval),
      loraAlpha: num('lora-alpha', values['lora-alpha']),
      batchSize: int('batch-size', values['batch-size']),
      maxLength: int('max-length', values['max-length']),
      testLimit: int('test-limit', values['test-limit']),
      sourceLimit: int('source-limit', values['source-limit']),
      threads: int('threads', values.threads),
      executionProvider: values.cuda ? ('cuda' as const) : undefined,
      out: values.out,
      force: values.force,
      quiet: values.quiet,
    }),
    lr,
  };
}

const COMPARE_KEYS = [
  'model', 'train', 'test', 'source', 'methods', 'steps', 'seeds', 'seed', 'batchSize', 'maxLength', 'rank', 'filterRank',
  'interval', 'loraAlpha', 'lr', 'testLimit', 'sourceLimit', 'maxNewTokens', 'threads', 'executionProvider', 'out', 'force', 'quiet',
];

function readCompareConfig(file: string): Partial<CompareOptions> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError([{ path: '/', message: `cannot read JSON: ${(e as Error).message}` }], file);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError([{ path: '/', message: 'must be an object' }], file);
  const unknown = Object.keys(parsed).filter((k) => !COMPARE_KEYS.includes(k));
  if (unknown.length) {
    throw new ConfigError(unknown.map((k) => ({ path: `/${k}`, message: `unknown option; known: ${COMPARE_KEYS.join(', ')}` })), file);
  }
  return parsed as Partial<CompareOptions>;
}

const isEntry = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
