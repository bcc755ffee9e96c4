/**
 * Answer extraction and exact match for math-style generations (GSM8K "#### N", LLM-Adapters
 * "The answer is N") and for the short text answers of fact-recall questions.
 */

/** A number as people write it: optional sign, thousands commas, decimals. */
const NUMBER = /[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-−]?\.\d+/g;

/** Parses one number written as "1,234", "-3.5", "−7", ".5"; null when `text` is not one. */
export function parseNumber(text: string): number | null {
  const t = text.trim().replace(/^\$/, '').replace(/\.$/, '');
  const m = t.match(new RegExp(`^(?:${NUMBER.source})$`));
  if (!m) return null;
  const v = Number(t.replace(/,/g, '').replace('−', '-'));
  return Number.isFinite(v) ? v : null;
}

function firstNumberAfter(text: string, marker: RegExp): number | null {
  const m = marker.exec(text);
  if (!m) return null;
  const rest = text.slice(m.index + m[0].length);
  const n = new RegExp(`^\\s*\\$?(${NUMBER.source})`).exec(rest);
  return n ? parseNumber(n[1]!) : null;
}

/**
 * The numeric answer of a generation: the number after the first "####", else after the first
 * "The answer is", else the last number in the text. The first marker wins because a model that
 * keeps generating past its answer tends to start a new, unrelated problem.
 */
export function extractAnswer(text: string): number | null {
  const hashed = firstNumberAfter(text, /####/);
  if (hashed !== null) return hashed;
  const stated = firstNumberAfter(text, /the answer is[:\s]*/i);
  if (stated !== null) return stated;
  const all = text.match(NUMBER);
  return all ? parseNumber(all[all.length - 1]!) : null;
}

/** The reference of a record: its `answer` field, else the "#### N" of its output. */
export function referenceAnswer(record: { output: string; answer?: string }): number | null {
  if (record.answer !== undefined && record.answer.trim() !== '') {
    const v = parseNumber(record.answer);
    if (v !== null) return v;
  }
  return firstNumberAfter(record.output, /####/);
}

/** Equal within 1e-4, relative for magnitudes above 1 (so 1e6-scale answers aren't held to 1e-4). */
export function numbersMatch(predicted: number | null, reference: number | null, tolerance = 1e-4): boolean {
  if (predicted === null || reference === null) return false;
  return Math.abs(predicted - reference) <= tolerance * Math.max(1, Math.abs(reference));
}

export interface NumericScore {
  predicted: number | null;
  reference: number | null;
  correct: boolean;
}

export function scoreNumeric(generation: string, record: { output: string; answer?: string }): NumericScore {
  const predicted = extractAnswer(generation);
  const reference = referenceAnswer(record);
  return { predicted, reference, correct: numbersMatch(predicted, reference) };
}

/**
 * Exact match of a short text answer (fact recall: "Kelmar", "green", "Tamsin Orel", "1742").
 * The answer is taken from the generation's first sentence: after "####" when present,
 * otherwise its final words must be exactly the answer ("The capital of Zorvia is Kelmar.").
 * Whitespace is collapsed; case and the rest are compared exactly.
 */
export function shortAnswerMatches(generation: string, answer: string): boolean {
  const norm = (s: string): string => s.replace(/\s+/g, ' ').trim();
  const want = norm(answer).replace(/\.$/, '');
  if (want === '') return false;
  const hashed = /####\s*([^\n]*)/.exec(generation);
  if (hashed) return norm(hashed[1]!).replace(/\.$/, '') === want;
  const firstLine = generation.trimStart().split('\n')[0]!;
  // The first sentence ends at a period followed by a space or the end of the line.
  const end = firstLine.search(/\.(\s|$)/);
  const sentence = norm(end >= 0 ? firstLine.slice(0, end) : firstLine);
  return sentence === want || sentence.endsWith(' ' + want);
}

/**
 * Whether a generation answers a record, whatever the kind of its answer. The reference is the
 * record's `answer`, else what follows "####" in its output. When the whole reference reads as a
 * number ("42", "1,234") the generation's extracted number must equal it (as scoreNumeric);
 * otherwise ("Fusvail, 1227", "green") it must be an exact short-answer match (shortAnswerMatches).
 */
export function answerMatches(generation: string, record: { output: string; answer?: string }): boolean {
  const reference = record.answer?.trim() ? record.answer : (/####([^\n]*)/.exec(record.output)?.[1] ?? '');
  const number = parseNumber(reference);
  if (number !== null) return numbersMatch(extractAnswer(generation), number);
  return shortAnswerMatches(generation, reference);
}
