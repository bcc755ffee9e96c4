/**
 * The `lift` command line (commander): schema, train, compare. It is an application above the
 * library: it uses the public API (index.ts), the adapters and core, and nothing below imports it.
 *
 * Exit codes: 0 done (and --help); 1 an error lift-sft raises on bad input or a run that failed,
 * printed as one line `lift: error [E_CODE]: message`; 2 a usage error (unknown command or flag,
 * a flag without its value, flags that cannot go together), printed as one line
 * `lift: error [E_USAGE]: ...`. Any other exception becomes one line too (error-line.ts: E_IO for
 * a file-system failure, E_INTERNAL for a bug); `--debug` adds its stack trace.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { compareFlags, mergeCompareInputs, optionsFromFlags } from '../api/compare-options.js';
import { ConfigError, compareOptions, defaultRegistry, failedMethods } from '../index.js';
import { compareCommand } from './commands/compare.js';
import { DEPLOY_COMMANDS, addDeployCommands } from './commands/deploy.js';
import { methodOptionsSchema, runSchemaWithMethods } from './commands/schema.js';
import { trainCommand } from './commands/train.js';
import { errorLine } from './error-line.js';

const COMMANDS = ['schema', 'train', 'compare', ...DEPLOY_COMMANDS];

/** Runs `lift` with `argv` (without node and the script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const state = { code: 0 };
  try {
    await program(argv, state).parseAsync(argv, { from: 'user' });
    return state.code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || (e.code === 'commander.help' && e.exitCode === 0)) return 0;
      const what = e.code === 'commander.help' ? `missing command: ${COMMANDS.join(', ')}` : e.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
      const sub = COMMANDS.includes(argv[0] ?? '') ? ` ${argv[0]}` : '';
      return fail('E_USAGE', `${what} (see lift${sub} --help)`, 2);
    }
    const line = errorLine(e);
    const code = fail(line.code, line.message, line.exitCode);
    // --debug is read from argv itself: the error may come before commander has parsed it
    if (argv.includes('--debug') && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    return code;
  }
}

function fail(code: string, message: string, exitCode: number): number {
  process.stderr.write(`lift: error [${code}]: ${message}\n`);
  return exitCode;
}

function program(argv: string[], state: { code: number }): Command {
  const lift = new Command('lift')
    .description('LIFT sparse fine-tuning and its baselines on ONNX Runtime')
    .exitOverride()
    .option('--debug', 'print the stack trace of an error after its one line')
    // commander's own error and help-on-error output is replaced by main's one line
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: () => {}, outputError: () => {} });

  lift
    .command('schema')
    .description("print the JSON Schema of a run configuration, with each registered method's options in $defs")
    .option('--method <name>', "print only this method's options schema (lift compare --option and a run's method.options)")
    .action((opts: { method?: string }) => {
      const registry = defaultRegistry();
      const schema = opts.method ? methodOptionsSchema(registry, opts.method) : runSchemaWithMethods(registry);
      process.stdout.write(JSON.stringify(schema, null, 2) + '\n');
    });

  lift
    .command('train')
    .description('fine-tune as a run configuration says (lift schema), or continue a killed run')
    .option('--config <file>', 'the run configuration, JSON')
    .addOption(
      new Option('--resume <dir>', 'the output directory of an earlier run, wherever it is now: continue from its newest checkpoint with its own run.json').conflicts([
        'config',
        'force',
      ]),
    )
    .option('--force', "start a new run in an output.dir that holds an earlier lift-sft run (its files move to previous-<time>/; nothing is deleted)")
    .option('--quiet', 'less progress output')
    .option('--export <formats>', "what the run's end writes, of hf,onnx,peft,delta (default: hf and the method's own adapter: peft for LoRA, delta for sparse methods)")
    .action(async (opts: { config?: string; resume?: string; quiet?: boolean; force?: boolean; export?: string }) => {
      const r = await trainCommand(opts);
      process.stdout.write(`trained ${r.method} for ${r.steps} steps: final loss ${r.finalLoss.toFixed(4)}, ${r.trainableParams} trainable parameters\n`);
    });

  const compare = lift
    .command('compare')
    .description('LIFT and every baseline side by side at one budget; writes report.json, .md and .html (docs/compare.md)')
    .option('--config <file>', 'a JSON object of any of the options below by their camelCase keys (batchSize for --batch-size); flags override it');
  for (const f of compareFlags()) {
    const option = new Option(f.flags, f.help);
    // per-method pairs add up over repeated flags: --lr lift=1e-3 --lr full=5e-4
    if (f.repeatable) option.argParser((value: string, previous: string | undefined) => (previous === undefined ? value : `${previous},${value}`));
    compare.addOption(option);
  }
  compare.option('--cuda', 'shorthand for --execution-provider cuda').action(async (flags: Record<string, unknown>) => {
    const { config, cuda, ...values } = flags as { config?: string; cuda?: boolean } & Record<string, unknown>;
    const { options: fromFlags, problems } = optionsFromFlags(values);
    if (cuda) fromFlags.executionProvider = 'cuda';
    const fromFile = config === undefined ? {} : readCompareConfig(config);
    const o = compareOptions(mergeCompareInputs(fromFile, fromFlags), config === undefined ? 'the command line' : `${config} and the command line`, problems);
    const report = await compareCommand(o, { command: ['lift', ...argv] });
    const failed = failedMethods(report);
    if (failed.length) {
      state.code = fail(
        'E_COMPARE_FAILED',
        `${failed.length} of ${report.methods.length} methods failed: ${failed.join(', ')} (their errors are in ${join(o.out, 'report.md')})`,
        1,
      );
    }
  });
  addDeployCommands(lift);
  return lift;
}

/** A compare's --config file: a JSON object; its keys are checked against COMPARE_SCHEMA with the flags'. */
function readCompareConfig(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError([{ path: '/', message: `cannot read JSON: ${(e as Error).message}` }], file);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError([{ path: '/', message: 'must be an object' }], file);
  return parsed as Record<string, unknown>;
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
