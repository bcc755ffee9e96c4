/**
 * Loading what a command needs from disk — model, tokenizer, datasets — once, with the typed
 * errors of the Hugging Face adapter and the data loader, and the checks that tie them together:
 * a tokenizer whose ids the model can embed, finite weights, data that leaves something to train on.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FileFormatError } from '../core/errors.js';
import { loadSftRecords } from '../core/data/load.js';
import type { SftRecord } from '../core/data/record.js';
import { ALPACA_TEMPLATE, type PromptTemplate } from '../core/data/template.js';
import { type TokenizedDataset, tokenizeDataset } from '../core/data/tokenize.js';
import type { Tokenizer } from '../core/data/tokenizer.js';
import { type ModelDir, loadModelDir } from '../adapters/huggingface/checkpoint.js';
import { loadTokenizer } from '../adapters/huggingface/tokenizer.js';

export interface LoadedModel extends ModelDir {
  dir: string;
  tokenizer: Tokenizer;
  tokenizerDir: string;
}

export async function loadModel(dir: string, tokenizerDir = dir): Promise<LoadedModel> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new FileFormatError('E_MODEL_CONFIG', dir, 'model directory does not exist');
  }
  const model = loadModelDir(dir);
  checkFinite(model, dir);
  const tokenizer = await loadTokenizer(tokenizerDir);
  // A token id past the embedding table fails deep inside ONNX Runtime (a Gather index error): say it here.
  if (tokenizer.vocabSize > model.config.vocabSize) {
    throw new FileFormatError(
      'E_TOKENIZER',
      join(tokenizerDir, 'tokenizer.json'),
      `has ${tokenizer.vocabSize} token ids but ${join(dir, 'config.json')} has vocab_size ${model.config.vocabSize}: ids ${model.config.vocabSize}..${tokenizer.vocabSize - 1} have no embedding; use the model's own tokenizer`,
    );
  }
  return { ...model, dir, tokenizer, tokenizerDir };
}

/** A NaN or infinity in the weights would only show as a NaN loss at step 1: name the tensor. */
function checkFinite(model: ModelDir, dir: string): void {
  for (const [name, t] of model.weights) {
    const data = t.data;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) {
        throw new FileFormatError('E_SAFETENSORS', dir, `tensor '${name}' holds ${data[i]} at index ${i}: the model's weights must be finite`, { tensor: name });
      }
    }
  }
}

export interface LoadedData {
  records: SftRecord[];
  tokenized: TokenizedDataset;
  skipped: number;
  /** What was left out or cut, one line per reason (empty when nothing was): for the user to see. */
  notices: string[];
}

export function loadData(
  file: string,
  tokenizer: Tokenizer,
  options: { maxLength: number; skipInvalid?: boolean; template?: PromptTemplate; limit?: number },
): LoadedData {
  const loaded = loadSftRecords(file, { skipInvalid: options.skipInvalid ?? false });
  const records = options.limit ? loaded.records.slice(0, options.limit) : loaded.records;
  const tokenized = tokenizeDataset(records, tokenizer, { maxLength: options.maxLength, template: options.template ?? ALPACA_TEMPLATE });
  const notices: string[] = [];
  if (loaded.skipped.length) {
    const first = loaded.skipped[0]!;
    notices.push(`${file}: skipped ${loaded.skipped.length} malformed record(s) (data.skipInvalid), the first at ${first.location}: ${first.problem}`);
  }
  const dropped = droppedRecords(records.length, tokenized.recordIndex);
  if (dropped.length) {
    notices.push(
      `${file}: dropped ${dropped.length} of ${records.length} record(s) whose prompt alone fills maxLength ${options.maxLength} tokens, ` +
        `leaving no response token to learn from (${describeIndices(dropped)}); raise data.maxLength to keep them`,
    );
  }
  if (tokenized.truncated) {
    notices.push(`${file}: cut the response of ${tokenized.truncated} record(s) to fit maxLength ${options.maxLength} tokens (kept)`);
  }
  return { records, tokenized, skipped: loaded.skipped.length, notices };
}

/**
 * Training needs at least one example: an empty file, or one whose every record was dropped,
 * is an E_DATA error naming the file and why, before anything is written.
 */
export function requireExamples(data: LoadedData, file: string, maxLength: number): void {
  if (data.tokenized.examples.length > 0) return;
  const why =
    data.records.length === 0
      ? data.skipped > 0
        ? `every record is malformed (${data.skipped} skipped)`
        : 'it holds no record'
      : `all ${data.records.length} record(s) are dropped: each one's prompt alone fills maxLength ${maxLength} tokens; raise data.maxLength`;
  throw new FileFormatError('E_DATA', file, `no example to train on: ${why}`);
}

function droppedRecords(count: number, kept: readonly number[]): number[] {
  const keep = new Set(kept);
  const out: number[] = [];
  for (let i = 0; i < count; i++) if (!keep.has(i)) out.push(i);
  return out;
}

/** "records 3, 17 and 40 more" (0-based, as the loader counts them). */
function describeIndices(indices: readonly number[]): string {
  const shown = indices.slice(0, 5).join(', ');
  return `record${indices.length > 1 ? 's' : ''} ${shown}${indices.length > 5 ? ` and ${indices.length - 5} more` : ''}, counted from 0`;
}

/** A user template string with {instruction} and {input} (no separate input variant). */
export function templateFrom(text: string | undefined): PromptTemplate | undefined {
  if (text === undefined) return undefined;
  return { withInput: text, withoutInput: text };
}
