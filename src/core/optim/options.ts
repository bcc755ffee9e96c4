/**
 * Readers for method options (the loose Record the user's config hands to factories). Each
 * checks one field and names it in the error, so a typo'd value fails where it is read.
 * Unknown keys are left alone: one options bag is shared by a method's strategy and optimizer.
 */
import type { MethodOptions } from '../contracts.js';
import { InvalidArgumentError } from '../errors.js';

export interface NumberRule {
  integer?: boolean;
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  /** Inclusive upper bound. */
  max?: number;
  /** Exclusive upper bound. */
  below?: number;
}

/** options[field] as a checked number, or `fallback` when it is unset (undefined). */
export function readNumber(options: MethodOptions, field: string, fallback: number, rule: NumberRule = {}): number {
  const value = options[field];
  return value === undefined ? fallback : checkNumber(field, value, rule);
}

/** Throws InvalidArgumentError naming `field` unless `value` is a finite number obeying `rule`. */
export function checkNumber(field: string, value: unknown, rule: NumberRule = {}): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.above === undefined || value > rule.above) &&
    (rule.max === undefined || value <= rule.max) &&
    (rule.below === undefined || value < rule.below);
  if (!ok) {
    throw new InvalidArgumentError(`option '${field}' must be ${describe(rule)}; got ${show(value)}`, { field, value });
  }
  return value as number;
}

/** options[field] as a list of strings drawn from `allowed`, or `fallback`. */
export function readStringList(options: MethodOptions, field: string, fallback: readonly string[], allowed?: readonly string[]): string[] {
  const value = options[field];
  if (value === undefined) return [...fallback];
  if (!Array.isArray(value) || value.length === 0 || !value.every((x) => typeof x === 'string')) {
    throw new InvalidArgumentError(`option '${field}' must be a non-empty list of strings; got ${show(value)}`, { field, value });
  }
  const bad = allowed ? value.filter((x) => !allowed.includes(x)) : [];
  if (bad.length) {
    throw new InvalidArgumentError(`option '${field}' has unknown entries ${bad.join(', ')}; allowed: ${allowed!.join(', ')}`, {
      field,
      value,
    });
  }
  return [...new Set(value as string[])];
}

function describe(rule: NumberRule): string {
  const parts = [rule.integer ? 'an integer' : 'a finite number'];
  if (rule.min !== undefined) parts.push(`≥ ${rule.min}`);
  if (rule.above !== undefined) parts.push(`> ${rule.above}`);
  if (rule.max !== undefined) parts.push(`≤ ${rule.max}`);
  if (rule.below !== undefined) parts.push(`< ${rule.below}`);
  return parts.join(' ');
}

function show(value: unknown): string {
  if (typeof value === 'number') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
