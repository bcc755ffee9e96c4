import type { SftRecord } from './record.js';

/**
 * A prompt template: `{instruction}` and `{input}` are replaced by the record's fields. The
 * response follows the prompt directly, so the prompt carries its own trailing separator.
 */
export interface PromptTemplate {
  /** Used when the record has a non-empty input. */
  withInput: string;
  /** Used when the input is absent or empty. */
  withoutInput: string;
}

/** The Alpaca template, which LLM-Adapters (math_10k, commonsense_170k) also uses. */
export const ALPACA_TEMPLATE: PromptTemplate = {
  withInput:
    'Below is an instruction that describes a task, paired with an input that provides further context. ' +
    'Write a response that appropriately completes the request.\n\n' +
    '### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n',
  withoutInput:
    'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n' +
    '### Instruction:\n{instruction}\n\n### Response:\n',
};

/** The prompt text of a record (everything before the response). */
export function formatPrompt(record: SftRecord, template: PromptTemplate = ALPACA_TEMPLATE): string {
  const hasInput = record.input !== undefined && record.input !== '';
  const t = hasInput ? template.withInput : template.withoutInput;
  // One pass over the template, so braces inside the record's own text are never re-expanded.
  return t.replace(/\{(instruction|input)\}/g, (_, key: string) =>
    key === 'instruction' ? record.instruction : (record.input ?? ''),
  );
}
