/**
 * Loading what a command needs from disk — model, tokenizer, datasets — once, with the typed
 * errors of the Hugging Face adapter and the data loader.
 */
import { existsSync, statSync } from 'node:fs';
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
  const tokenizer = await loadTokenizer(tokenizerDir);
  return { ...model, dir, tokenizer, tokenizerDir };
}

export interface LoadedData {
  records: SftRecord[];
  tokenized: TokenizedDataset;
  skipped: number;
}

export function loadData(
  file: string,
  tokenizer: Tokenizer,
  options: { maxLength: number; skipInvalid?: boolean; template?: PromptTemplate; limit?: number },
): LoadedData {
  const loaded = loadSftRecords(file, { skipInvalid: options.skipInvalid ?? false });
  const records = options.limit ? loaded.records.slice(0, options.limit) : loaded.records;
  const tokenized = tokenizeDataset(records, tokenizer, { maxLength: options.maxLength, template: options.template ?? ALPACA_TEMPLATE });
  return { records, tokenized, skipped: loaded.skipped.length };
}

/** A user template string with {instruction} and {input} (no separate input variant). */
export function templateFrom(text: string | undefined): PromptTemplate | undefined {
  if (text === undefined) return undefined;
  return { withInput: text, withoutInput: text };
}
