/**
 * Parses SFT records from the text of a .json (one array) or .jsonl (one object per line) file:
 * Alpaca and LLM-Adapters files as they are. No file system (load.ts reads the file; the browser
 * bundle parses what it fetched).
 */
import { FileFormatError } from '../errors.js';
import { jsonErrorOffset } from './json-position.js';
import { toSftRecord, type SftRecord } from './record.js';

export interface LoadRecordsOptions {
  /** Skip malformed records (counted in `skipped`) instead of failing on the first. */
  skipInvalid?: boolean;
}

export interface LoadedRecords {
  records: SftRecord[];
  /** Each skipped record's location ('line N' or 'record N') and problem. */
  skipped: { location: string; problem: string }[];
}

/** 1-based line of a character offset, for JSON parse errors that report a position. */
function lineOf(text: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function parseError(file: string, text: string, e: unknown): FileFormatError {
  const offset = jsonErrorOffset(text);
  const where = offset >= 0 ? `line ${lineOf(text, offset)}: ` : '';
  return new FileFormatError('E_DATA', file, `${where}invalid JSON: ${(e as Error).message}`);
}

/** Parses file contents; `format` defaults to the file extension, then to sniffing for '['. */
export function parseSftRecords(
  text: string,
  file: string,
  options: LoadRecordsOptions & { format?: 'json' | 'jsonl' } = {},
): LoadedRecords {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const ext = /\.[^./\\]*$/.exec(file)?.[0].toLowerCase() ?? '';
  const format =
    options.format ?? (ext === '.jsonl' ? 'jsonl' : ext === '.json' ? 'json' : text.trimStart().startsWith('[') ? 'json' : 'jsonl');
  const out: LoadedRecords = { records: [], skipped: [] };
  const accept = (value: unknown, location: string): void => {
    const rec = toSftRecord(value);
    if (typeof rec !== 'string') out.records.push(rec);
    else if (options.skipInvalid) out.skipped.push({ location, problem: rec });
    else throw new FileFormatError('E_DATA', file, `${location}: ${rec}`, { location });
  };

  if (format === 'json') {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw parseError(file, text, e);
    }
    if (!Array.isArray(data)) throw new FileFormatError('E_DATA', file, 'a .json dataset must be an array of records');
    data.forEach((v, i) => accept(v, `record ${i}`));
    return out;
  }

  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      if (options.skipInvalid) {
        out.skipped.push({ location: `line ${i + 1}`, problem: `invalid JSON: ${(e as Error).message}` });
        continue;
      }
      throw new FileFormatError('E_DATA', file, `line ${i + 1}: invalid JSON: ${(e as Error).message}`, {
        location: `line ${i + 1}`,
      });
    }
    accept(value, `line ${i + 1}`);
  }
  return out;
}
