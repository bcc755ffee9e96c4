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

/** topKIndices of |values| without materializing a second full-size array of magnitudes. */
export function topKByMagnitude(values: Scores, k: number): Int32Array {
  return select(values, k, true);
}

function select(values: Scores, k: number, abs: boolean): Int32Array {
  const n = values.length;
  if (!Number.isInteger(k) || k < 0 || k > n) {
    throw new InvalidArgumentError(`k must be an integer in [0, ${n}]; got ${k}`, { field: 'k', value: k });
  }
  if (n > 0x7fffffff) throw new InvalidArgumentError(`top-k over ${n} entries exceeds int32 indices`, { field: 'scores' });
  // One pass: the NaN check and the scores (magnitudes) in an array of the input's type.
  const score = (values instanceof Float32Array ? new Float32Array(n) : new Float64Array(n)) as Scores;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    if (x !== x) throw new InvalidArgumentError(`score at flat index ${i} is NaN; top-k needs ordered scores`, { field: 'scores', index: i });
    score[i] = abs ? Math.abs(x) : x;
  }
  const out = new Int32Array(k);
  if (k === 0) return out;
  if (k === n) {
    for (let i = 0; i < n; i++) out[i] = i;
    return out;
  }

  const threshold = kthLargest(score, k);
  let above = 0;
  for (let i = 0; i < n; i++) if (score[i]! > threshold) above++;
  let ties = k - above;
  let o = 0;
  for (let i = 0; i < n && o < k; i++) {
    const s = score[i]!;
    if (s > threshold) out[o++] = i;
    else if (s === threshold && ties > 0) {
      out[o++] = i;
      ties--;
    }
  }
  return out;
}

/** Below this many scores the threshold is a plain quickselect over a copy. */
const SAMPLED_MIN = 1 << 16;
const SAMPLES = 8192;

/**
 * The k-th largest score (1 ≤ k < n). For large inputs a fixed-seed sample brackets it first, so
 * only the scores inside the bracket are copied and partitioned; a bracket that misses (or holds
 * too many ties) falls back to the full quickselect. The result is the same value either way.
 */
function kthLargest(score: Scores, k: number): number {
  const n = score.length;
  if (n >= SAMPLED_MIN) {
    const sample = new Float64Array(SAMPLES);
    let seed = 0x9e3779b9;
    for (let i = 0; i < SAMPLES; i++) {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      sample[i] = score[(seed >>> 0) % n]!;
    }
    sample.sort(); // ascending
    // position of the k-th largest among the samples, and a margin of ~5 standard deviations
    const frac = k / n;
    const pos = (1 - frac) * SAMPLES;
    const margin = 5 * Math.sqrt(SAMPLES * frac * (1 - frac)) + 16;
    const hi = sample[Math.min(SAMPLES - 1, Math.ceil(pos + margin))]!;
    const lo = sample[Math.max(0, Math.floor(pos - margin))]!;
    let above = 0;
    let inside = 0;
    for (let i = 0; i < n; i++) {
      const x = score[i]!;
      if (x > hi) above++;
      else if (x >= lo) inside++;
    }
    const need = k - above; // rank of the threshold (1 = largest) among the bracketed scores
    if (need >= 1 && need <= inside && inside <= n / 4) {
      const cand = new Float64Array(inside);
      let c = 0;
      for (let i = 0; i < n; i++) {
        const x = score[i]!;
        if (x <= hi && x >= lo) cand[c++] = x;
      }
      return kthSmallest(cand, inside - need);
    }
  }
  return kthSmallest(score.slice() as Scores, n - k);
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
