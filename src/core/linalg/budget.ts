/**
 * The per-matrix trainable budget k shared by every sparse method, so LIFT, magnitude and random
 * train as many entries as a LoRA adapter of the same rank has parameters.
 */
import { InvalidArgumentError } from '../errors.js';

export interface BudgetOptions {
  /** LoRA-equivalent rank r: k = min((m+n)·r, m·n). Default 128 (the paper's). */
  rank?: number;
  /** Fraction of entries, 0 < density ≤ 1: k = round(density·m·n). Takes precedence over rank. */
  density?: number;
}

export const DEFAULT_BUDGET_RANK = 128;

/** Number of trainable entries of an m×n matrix. */
export function maskBudget(m: number, n: number, options: BudgetOptions = {}): number {
  checkDim('m', m);
  checkDim('n', n);
  const size = m * n;
  // density wins over rank: method defaults always carry a rank, so a density the user set must override it
  if (options.density !== undefined) {
    const d = options.density;
    if (typeof d !== 'number' || !Number.isFinite(d) || d <= 0 || d > 1) {
      throw new InvalidArgumentError(`density must be a number in (0, 1]; got ${String(d)}`, { field: 'density', value: d });
    }
    return Math.round(d * size);
  }
  const r = options.rank ?? DEFAULT_BUDGET_RANK;
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 1) {
    throw new InvalidArgumentError(`rank must be a positive integer; got ${String(r)}`, { field: 'rank', value: r });
  }
  return Math.min((m + n) * r, size);
}

function checkDim(field: string, v: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new InvalidArgumentError(`${field} (matrix dimension) must be a positive integer; got ${String(v)}`, {
      field,
      value: v,
    });
  }
}
