/**
 * Top-k selection in expected linear time: a three-way quickselect finds the k-th largest score
 * (the threshold), then one ordered scan emits every index above it plus the lowest-indexed ties.
 * The scan runs in index order, so the result is already sorted and no m·n sort is needed.
 */
import { InvalidArgumentError } from '../errors.js';

type Scores = Float32Array | Float64Array;

/**
 * The flat indices of the k largest scores, ascending. Among equal scores the lower index wins.
 * NaN scores are rejected: they have no place in an order.
 */
export function topKIndices(scores: Scores, k: number): Int32Array {
  return select(scores, k, false);
}

/** Which end of the magnitude order a mask takes. */
export type Selection = 'largest' | 'smallest';

/**
 * The flat indices of the k largest |values| (or, with 'smallest', the k smallest), ascending;
 * among equal magnitudes the lower index wins either way. 'largest' reads |values| on the fly, with
 * no second full-size array.
 */
export function topKByMagnitude(values: Scores, k: number, selection: Selection = 'largest'): Int32Array {
  if (selection === 'largest') return select(values, k, true);
  // the k smallest |x| are the k largest −|x|, with the same lower-index rule for ties
  const neg = (values instanceof Float32Array ? new Float32Array(values.length) : new Float64Array(values.length)) as Scores;
  for (let i = 0; i < values.length; i++) neg[i] = -Math.abs(values[i]!);
  return select(neg, k, false);
}

function select(values: Scores, k: number, abs: boolean): Int32Array {
  const n = values.length;
  if (!Number.isInteger(k) || k < 0 || k > n) {
    throw new InvalidArgumentError(`k must be an integer in [0, ${n}]; got ${k}`, { field: 'k', value: k });
  }
  if (n > 0x7fffffff) throw new InvalidArgumentError(`top-k over ${n} entries exceeds int32 indices`, { field: 'scores' });
  const found = k > 0 && k < n && n >= SAMPLED_MIN ? sampledThreshold(values, k, abs) : undefined;
  let threshold: number;
  let above: number;
  if (found) {
    ({ threshold, above } = found);
  } else {
    // NaN check and scores (magnitudes) in one pass, then quickselect over them
    const score = (values instanceof Float32Array ? new Float32Array(n) : new Float64Array(n)) as Scores;
    for (let i = 0; i < n; i++) {
      const x = values[i]!;
      if (x !== x) throw nanAt(i);
      score[i] = abs ? Math.abs(x) : x;
    }
    if (k === 0) return new Int32Array(0);
    if (k === n) return Int32Array.from({ length: n }, (_, i) => i);
    threshold = kthSmallest(score.slice() as Scores, n - k);
    above = 0;
    for (let i = 0; i < n; i++) if (score[i]! > threshold) above++;
  }
  const out = new Int32Array(k);
  let ties = k - above;
  let o = 0;
  for (let i = 0; i < n && o < k; i++) {
    const s = abs ? Math.abs(values[i]!) : values[i]!;
    if (s > threshold) out[o++] = i;
    else if (s === threshold && ties > 0) {
      out[o++] = i;
      ties--;
    }
  }
  return out;
}

function nanAt(i: number): InvalidArgumentError {
  return new InvalidArgumentError(`score at flat index ${i} is NaN; top-k needs ordered scores`, { field: 'scores', index: i });
}

/** Below this many scores the threshold is a plain quickselect over a copy. */
const SAMPLED_MIN = 1 << 16;
const SAMPLES = 8192;

/**
 * The k-th largest score (0 < k < n) and how many scores exceed it, for large inputs: a
 * fixed-seed sample brackets the threshold, one pass (which also rejects NaN) counts the scores
 * above the bracket and copies the ones inside, and a quickselect over those finds it. Scores are |values| (or values) computed on the fly: no n-sized copy. Undefined when
 * the bracket misses or holds too many ties; the caller then selects over all scores.
 */
function sampledThreshold(values: Scores, k: number, abs: boolean): { threshold: number; above: number } | undefined {
  const n = values.length;
  const sample = new Float64Array(SAMPLES);
  let seed = 0x9e3779b9;
  for (let i = 0; i < SAMPLES; i++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    const x = values[(seed >>> 0) % n]!;
    sample[i] = abs ? Math.abs(x) : x;
  }
  sample.sort(); // ascending (a NaN sorts last; the full pass below rejects it)
  const frac = k / n;
  const pos = (1 - frac) * SAMPLES;
  const margin = 5 * Math.sqrt(SAMPLES * frac * (1 - frac)) + 16;
  const hi = sample[Math.min(SAMPLES - 1, Math.ceil(pos + margin))]!;
  const lo = sample[Math.max(0, Math.floor(pos - margin))]!;
  // one pass: NaN check, count above the bracket, keep what falls inside (a second pass collects
  // them only if more fall inside than the sample predicts room for)
  const cap = Math.min(n, Math.ceil(n * (2 * (margin + 16) / SAMPLES) * 3) + 1024);
  let cand = new Float64Array(cap);
  let aboveHi = 0;
  let inside = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v !== v) throw nanAt(i);
    const x = abs ? Math.abs(v) : v;
    if (x > hi) aboveHi++;
    else if (x >= lo) {
      if (inside < cap) cand[inside] = x;
      inside++;
    }
  }
  const need = k - aboveHi; // rank of the threshold (1 = largest) among the bracketed scores
  if (!(need >= 1 && need <= inside && inside <= n / 4)) return undefined;
  if (inside > cap) {
    cand = new Float64Array(inside);
    let c = 0;
    for (let i = 0; i < n; i++) {
      const x = abs ? Math.abs(values[i]!) : values[i]!;
      if (x <= hi && x >= lo) cand[c++] = x;
    }
  } else {
    cand = cand.subarray(0, inside);
  }
  const threshold = kthSmallest(cand, inside - need);
  let above = aboveHi;
  for (let i = 0; i < inside; i++) if (cand[i]! > threshold) above++;
  return { threshold, above };
}

/**
 * Value at ascending rank `target` (0-based) of `a`, reordering `a`. Three-way partitioning keeps
 * inputs with many equal values linear; pivots come from a fixed-seed xorshift so the running time
 * does not depend on the input's order and runs are reproducible.
 */
function kthSmallest(a: Scores, target: number): number {
  let lo = 0;
  let hi = a.length - 1;
  let seed = 0x2545f491;
  for (;;) {
    if (lo === hi) return a[lo]!;
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    const pivot = a[lo + ((seed >>> 0) % (hi - lo + 1))]!;
    let lt = lo;
    let i = lo;
    let gt = hi;
    while (i <= gt) {
      const x = a[i]!;
      if (x < pivot) {
        a[i] = a[lt]!;
        a[lt] = x;
        lt++;
        i++;
      } else if (x > pivot) {
        a[i] = a[gt]!;
        a[gt] = x;
        gt--;
      } else i++;
    }
    if (target < lt) hi = lt - 1;
    else if (target > gt) lo = gt + 1;
    else return pivot;
  }
}

/** How many indices two sorted, distinct index lists (masks) have in common. */
export function sharedCount(a: Int32Array, b: Int32Array): number {
  let i = 0;
  let j = 0;
  let same = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      same++;
      i++;
      j++;
    } else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return same;
}
