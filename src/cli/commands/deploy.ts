/**
 * The commands that take a fine-tuned model somewhere it runs:
 *   lift export <run dir> --format hf,onnx,peft,delta   exports of a finished run
 *   lift generate --model <dir> [--adapter|--delta] --prompt "..."   a quick look, streamed
 *   lift apply --base <model> --delta|--adapter <dir> --out <dir>    a merged model directory
 *   lift masks --model <dir> --method lift ... --out <dir>           the masks alone
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { LiftError } from '../../core/errors.js';
import { saveModelDir } from '../../adapters/huggingface/checkpoint.js';
import { EXPORT_FORMATS, type ExportRecord, exportRun, parseFormats } from '../../api/export.js';
import { generateText } from '../../api/generate.js';
import { exportMasks } from '../../api/masks.js';
import { loadModelWith } from '../../api/variants.js';
import { MASKS_FILE } from '../../adapters/export/masks.js';

export const DEPLOY_COMMANDS = ['export', 'generate', 'apply', 'masks'];

export function addDeployCommands(lift: Command): void {
  lift
    .command('export')
    .description('export a finished lift train run: merged Hugging Face model, ONNX for transformers.js, PEFT adapter, sparse delta')
    .argument('<run>', 'the output directory of a finished lift train')
    .option('--format <list>', `comma-separated: ${EXPORT_FORMATS.join(', ')}`, 'hf')
    .option('--out <dir>', 'write under this directory instead of the run directory')
    .action(async (runDir: string, opts: { format: string; out?: string }) => {
      const records = await exportRun(runDir, parseFormats(opts.format), opts.out ? { out: opts.out } : {});
      printRecords(records);
    });

  lift
    .command('generate')
    .description("continue a prompt with a model (greedy unless --temperature), streaming tokens; lift-sft's own KV-cache generator")
    .requiredOption('--model <dir>', 'a model directory in Hugging Face layout')
    .option('--adapter <dir>', 'apply a PEFT LoRA adapter first')
    .option('--delta <dir>', 'apply a sparse delta first')
    .requiredOption('--prompt <text>', 'the text to continue')
    .option('--instruction', 'wrap the prompt in the Alpaca instruction template lift-sft trains with')
    .option('--max-new-tokens <n>', 'tokens to generate at most', '64')
    .option('--temperature <t>', '0: greedy; above 0: sample', '0')
    .option('--top-k <k>', 'sample among the k most likely tokens (0: all)', '0')
    .option('--seed <n>', 'seed of the sampling', '0')
    .action(async (o: { model: string; adapter?: string; delta?: string; prompt: string; instruction?: boolean; maxNewTokens: string; temperature: string; topK: string; seed: string }) => {
      await generateText({
        model: o.model,
        ...(o.adapter ? { adapter: o.adapter } : {}),
        ...(o.delta ? { delta: o.delta } : {}),
        prompt: o.prompt,
        instruction: Boolean(o.instruction),
        maxNewTokens: number('--max-new-tokens', o.maxNewTokens),
        temperature: number('--temperature', o.temperature),
        topK: number('--top-k', o.topK),
        seed: number('--seed', o.seed),
        onText: (piece) => process.stdout.write(piece),
      });
      process.stdout.write('\n');
    });

  lift
    .command('apply')
    .description('write the base model with a sparse delta (bitwise) or a PEFT adapter merged in, as a new model directory')
    .requiredOption('--base <dir>', 'the base model directory the delta or adapter was made from')
    .option('--delta <dir>', 'a sparse delta directory (delta.safetensors)')
    .option('--adapter <dir>', 'a PEFT LoRA adapter directory')
    .requiredOption('--out <dir>', 'a new (or empty) directory for the merged model')
    .action(async (o: { base: string; delta?: string; adapter?: string; out: string }) => {
      if (!o.delta === !o.adapter) throw new LiftError('E_INVALID_ARGUMENT', 'pass exactly one of --delta <dir> and --adapter <dir>');
      refuseNonEmpty(o.out);
      const model = await loadModelWith(o.base, o.delta ? { delta: o.delta } : { adapter: o.adapter! });
      saveModelDir(o.out, model.config, model.weights, { tokenizerFrom: model.tokenizerDir });
      process.stdout.write(`wrote ${o.out}: ${o.base} with ${o.delta ? `the delta ${o.delta}` : `the adapter ${o.adapter}`} applied\n`);
    });

  lift
    .command('masks')
    .description("write a method's principal-weight masks alone (masks.safetensors: int64 flat row-major indices per matrix), for another trainer")
    .requiredOption('--model <dir>', 'the model directory to select on')
    .option('--method <name>', 'a sparse method: lift, magnitude, random, or a registered one', 'lift')
    .option('--rank <r>', 'budget per matrix k = min((m+n)·r, m·n)')
    .option('--density <d>', 'budget per matrix k = round(d·m·n), instead of --rank')
    .option('--filter-rank <r>', "LIFT's r', the rank of the approximation whose magnitudes rank the entries")
    .option('--target-modules <list>', 'comma-separated modules (q_proj,...,down_proj)')
    .option('--seed <n>', 'seed of the draws (random masks, randomized SVD), as a run with this seed', '42')
    .requiredOption('--out <dir>', 'where masks.safetensors goes')
    .action(async (o: { model: string; method: string; rank?: string; density?: string; filterRank?: string; targetModules?: string; seed: string; out: string }) => {
      const file = join(o.out, MASKS_FILE);
      if (existsSync(file)) throw new LiftError('E_OUTPUT_EXISTS', `${file} exists; choose another --out`);
      const options: Record<string, unknown> = {};
      if (o.rank !== undefined) options.rank = number('--rank', o.rank);
      if (o.density !== undefined) options.density = number('--density', o.density);
      if (o.filterRank !== undefined) options.filterRank = number('--filter-rank', o.filterRank);
      if (o.targetModules !== undefined) options.targetModules = o.targetModules.split(',').map((s) => s.trim());
      const r = await exportMasks(o.out, { model: o.model, method: o.method, options, seed: number('--seed', o.seed) });
      let k = 0;
      for (const m of r.masks.masks.values()) k += m.indices.length;
      process.stdout.write(`wrote ${r.file}: ${r.masks.masks.size} matrices, ${k} entries, ${r.bytes} bytes of indices\n`);
    });
}

function number(flag: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new LiftError('E_INVALID_ARGUMENT', `${flag} must be a number, got '${text}'`);
  return n;
}

function refuseNonEmpty(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new LiftError('E_OUTPUT_EXISTS', `${dir} is not empty; lift apply writes a new model directory`);
}

function printRecords(records: readonly ExportRecord[]): void {
  for (const r of records) process.stdout.write(`${r.format}: ${r.dir} (${r.files.length} files, ${r.bytes} bytes)\n`);
}
