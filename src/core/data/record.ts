/** One supervised fine-tuning example, in the field names of Alpaca and LLM-Adapters files. */
export interface SftRecord {
  instruction: string;
  /** Extra context shown under "### Input:"; empty or absent means none. */
  input?: string;
  /** The target response; the loss covers only its tokens (and the eos after it). */
  output: string;
  /** The short reference answer (LLM-Adapters math/commonsense files), used by evaluation. */
  answer?: string;
}

/**
 * Checks one parsed JSON value and returns it as an SftRecord, or a description of what is
 * wrong. Unknown fields are ignored; a numeric `answer` (some converted datasets) becomes a string.
 */
export function toSftRecord(value: unknown): SftRecord | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return `expected an object with instruction and output, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`;
  }
  const v = value as Record<string, unknown>;
  if (typeof v.instruction !== 'string') return `field 'instruction' must be a string, got ${describe(v.instruction)}`;
  if (typeof v.output !== 'string') return `field 'output' must be a string, got ${describe(v.output)}`;
  if (v.input !== undefined && v.input !== null && typeof v.input !== 'string') {
    return `field 'input' must be a string, got ${describe(v.input)}`;
  }
  if (v.answer !== undefined && v.answer !== null && typeof v.answer !== 'string' && typeof v.answer !== 'number') {
    return `field 'answer' must be a string or number, got ${describe(v.answer)}`;
  }
  const rec: SftRecord = { instruction: v.instruction, output: v.output };
  if (typeof v.input === 'string') rec.input = v.input;
  if (v.answer !== undefined && v.answer !== null) rec.answer = String(v.answer);
  return rec;
}

function describe(x: unknown): string {
  if (x === undefined) return 'nothing (missing)';
  if (x === null) return 'null';
  return Array.isArray(x) ? 'an array' : typeof x;
}
