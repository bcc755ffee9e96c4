export type { Tokenizer } from './tokenizer.js';
export { toSftRecord, type SftRecord } from './record.js';
export { ALPACA_TEMPLATE, formatPrompt, type PromptTemplate } from './template.js';
export { loadSftRecords, parseSftRecords, type LoadRecordsOptions, type LoadedRecords } from './load.js';
export {
  IGNORE_INDEX,
  tokenizeDataset,
  tokenizeExample,
  type TokenizeOptions,
  type TokenizedDataset,
  type TokenizedExample,
} from './tokenize.js';
export { bucketLength, collate, DEFAULT_BUCKETING, type Batch, type Bucketing } from './batch.js';
export { SftDataLoader, type DataLoaderOptions, type LoaderPosition } from './loader.js';
