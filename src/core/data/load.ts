/**
 * Reads SFT records from .json (one array) and .jsonl (one object per line) files: Alpaca and
 * LLM-Adapters files load as they are.
 */
import { readFileSync } from 'node:fs';
import { FileFormatError } from '../errors.js';
import { parseSftRecords, type LoadRecordsOptions, type LoadedRecords } from './parse.js';
import { decodeUtf8 } from './utf8.js';

export { parseSftRecords, type LoadRecordsOptions, type LoadedRecords } from './parse.js';

export function loadSftRecords(file: string, options: LoadRecordsOptions = {}): LoadedRecords {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new FileFormatError('E_DATA', file, `cannot read: ${(e as Error).message}`);
  }
  return parseSftRecords(decodeUtf8(bytes, file), file, options);
}
