/**
 * The claims block that opens report.md and report.html: LIFT against each baseline on the two
 * figures the paper's claims are about (target accuracy, source retention), as differences in
 * percentage points with a 95% confidence interval over seeds, and the optimizer memory ratio.
 *
 * With the same seeds on both sides the runs are paired (a seed fixes the data order, so seed s
 * of LIFT and seed s of full FT saw the same batches): the interval is a paired t-interval over
 * the per-seed differences. Otherwise it is Welch's interval. With one run on either side there
 * is no interval, and the block says so rather than let one draw read as a result.
 */
import { isValue } from './format.js';
import { displayNames } from './table.js';
import type { CompareReport, MethodReport, Metrics } from '../../api/compare-report.js';

/** Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086,
  2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** t(0.975, df); a fractional df (Welch) rounds down, which widens the interval. */
export function tQuantile975(df: number): number {
  if (!(df >= 1)) return NaN;
  const d = Math.floor(df);
  return d <= T975.length ? T975[d - 1]! : 1.96;
}

export interface Difference {
  /** reference − baseline, in the metric's unit (0..1 for accuracies). */
  mean: number;
  /** 95% interval; absent when either side has one run. */
  low?: number;
  high?: number;
  /** 'paired' (same seeds), 'welch', or 'single' (no interval). */
  kind: 'paired' | 'welch' | 'single';
}

export type Verdict = 'higher' | 'lower' | 'not significant' | 'single seed';

export interface Claim {
  baseline: string;
  target: Difference;
  retention: Difference;
  /** Reference's optimizer state / baseline's. */
  optimizerRatio?: number;
}

export interface ClaimsModel {
  reference: string;
  /** Seeds of the reference's runs. */
  seeds: number;
  claims: Claim[];
}

const finite = (values: number[]) => values.every(isValue);

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function variance(xs: number[]): number {
  const m = mean(xs);
  return xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
}

/** reference − baseline of one metric over the two methods' seed runs. */
export function difference(reference: MethodReport, baseline: MethodReport, key: keyof Metrics): Difference | undefined {
  const r = reference.runs.map((x) => x[key]);
  const b = baseline.runs.map((x) => x[key]);
  if (r.length === 0 || b.length === 0 || !finite(r) || !finite(b)) return undefined;
  const diff = mean(r) - mean(b);
  if (r.length < 2 || b.length < 2) return { mean: diff, kind: 'single' };
  const bySeed = new Map(baseline.runs.map((x) => [x.seed, x[key]]));
  const paired = reference.runs.length === baseline.runs.length && reference.runs.every((x) => bySeed.has(x.seed));
  if (paired) {
    const d = reference.runs.map((x) => x[key] - bySeed.get(x.seed)!);
    const half = tQuantile975(d.length - 1) * Math.sqrt(variance(d) / d.length);
    return { mean: mean(d), low: mean(d) - half, high: mean(d) + half, kind: 'paired' };
  }
  const [vr, vb] = [variance(r) / r.length, variance(b) / b.length];
  const se = Math.sqrt(vr + vb);
  // Welch–Satterthwaite degrees of freedom; with no spread at all the interval is the point.
  const df = se === 0 ? Infinity : (vr + vb) ** 2 / (vr ** 2 / (r.length - 1) + vb ** 2 / (b.length - 1));
  const half = se === 0 ? 0 : tQuantile975(df) * se;
  return { mean: diff, low: diff - half, high: diff + half, kind: 'welch' };
}

/** Whether the interval says the reference is higher, lower, or cannot tell. */
export function verdict(d: Difference): Verdict {
  if (d.kind === 'single' || d.low === undefined || d.high === undefined) return 'single seed';
  if (d.low > 0) return 'higher';
  if (d.high < 0) return 'lower';
  return 'not significant';
}

/**
 * LIFT (`reference`) against every other finished method; undefined when the reference did not
 * run, did not finish, or is the only finished method.
 */
export function buildClaims(report: CompareReport, reference = 'lift'): ClaimsModel | undefined {
  const names = displayNames(report.methods);
  const i = report.methods.findIndex((m) => m.method === reference && m.status === 'done');
  if (i < 0) return undefined;
  const ref = report.methods[i]!;
  const claims: Claim[] = [];
  report.methods.forEach((m, j) => {
    if (j === i || m.status !== 'done') return;
    const target = difference(ref, m, 'targetAccuracy');
    const retention = difference(ref, m, 'sourceRetention');
    if (!target || !retention) return;
    const [a, b] = [ref.mean?.optimizerStateBytes, m.mean?.optimizerStateBytes];
    claims.push({ baseline: names[j]!, target, retention, ...(isValue(a) && isValue(b) && b > 0 ? { optimizerRatio: a / b } : {}) });
  });
  if (claims.length === 0) return undefined;
  return { reference: names[i]!, seeds: ref.runs.length, claims };
}

/** "+3.1" / "−2.0" percentage points of a 0..1 difference (a true minus sign, so columns align). */
export function formatPoints(x: number): string {
  const s = (Math.abs(x) * 100).toFixed(1);
  return s === '0.0' ? '0.0' : `${x > 0 ? '+' : '−'}${s}`;
}

/** "[+1.2, +5.0]", or "—" without an interval. */
export function formatInterval(d: Difference): string {
  return d.low === undefined || d.high === undefined ? '—' : `[${formatPoints(d.low)}, ${formatPoints(d.high)}]`;
}

/** "0.05×" */
export function formatRatio(x: number | undefined): string {
  if (x === undefined) return '—';
  return `${x >= 0.095 ? x.toFixed(2) : x.toPrecision(1)}×`;
}

/** The sentence under the block: what the intervals are and how to read them. */
export function claimsNote(model: ClaimsModel): string {
  const kinds = new Set(model.claims.flatMap((c) => [c.target.kind, c.retention.kind]));
  if (kinds.has('single')) {
    return `Single seed: the differences are one draw each, not significant. Run with --seeds 3 or more for 95% confidence intervals.`;
  }
  const how = kinds.has('welch') ? 'Welch t-intervals over seeds' : `paired t-intervals over ${model.seeds} seeds (the same seeds on both sides)`;
  return `Differences in percentage points (${model.reference} − baseline) with 95% ${how}; an interval that holds 0 is not significant.`;
}

export interface ClaimsTable {
  title: string;
  header: string[];
  rows: string[][];
  note: string;
}

function reading(c: Claim): string {
  const v = [verdict(c.target), verdict(c.retention)];
  if (v.includes('single seed')) return 'single seed, not significant';
  const say = (what: string, x: Verdict) => `${what} ${x === 'not significant' ? 'no significant difference' : x}`;
  return `${say('target', v[0]!)}; ${say('retention', v[1]!)}`;
}

/** The claims as plain-text cells, for the Markdown and HTML renderers (which escape them). */
export function claimsTable(model: ClaimsModel): ClaimsTable {
  const cell = (d: Difference) => (d.low === undefined ? formatPoints(d.mean) : `${formatPoints(d.mean)} ${formatInterval(d)}`);
  return {
    title: `Claims: ${model.reference} against each baseline`,
    header: [`${model.reference} vs`, 'Target acc. Δ (pts)', 'Source retention Δ (pts)', 'Optimizer state', 'Reading'],
    rows: model.claims.map((c) => [c.baseline, cell(c.target), cell(c.retention), formatRatio(c.optimizerRatio), reading(c)]),
    note: claimsNote(model),
  };
}
