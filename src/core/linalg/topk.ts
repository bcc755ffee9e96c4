/**
 * Top-k selection in expected linear time: a selection finds the k-th largest score (the
 * threshold), and the result is emitted in index order, so it is already sorted and no m·n sort is
 * needed. Large inputs take one pass over the scores: a sample brackets the threshold, the pass
 * records the indices above the bracket and the (index, score) pairs inside it, and the result
 * merges the two lists once a selection over the bracketed scores has found the threshold.
 * Small inputs, and large ones whose bracket misses, take a quickselect over all scores and an
 * ordered scan.
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
  if (k > 0 && k < n && n >= SAMPLED_MIN) {
    const out = sampledSelect(values, k, abs);
    if (out) return out;
  }
  // NaN check and scores (magnitudes) in one pass, then quickselect over them
  const score = (values instanceof Float32Array ? new Float32Array(n) : new Float64Array(n)) as Scores;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    if (x !== x) throw nanAt(i);
    score[i] = abs ? Math.abs(x) : x;
  }
  if (k === 0) return new Int32Array(0);
  if (k === n) return Int32Array.from({ length: n }, (_, i) => i);
  const threshold = kthSmallest(score.slice() as Scores, n - k);
  let above = 0;
  for (let i = 0; i < n; i++) if (score[i]! > threshold) above++;
  const out = new Int32Array(k);
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

function nanAt(i: number): InvalidArgumentError {
  return new InvalidArgumentError(`score at flat index ${i} is NaN; top-k needs ordered scores`, { field: 'scores', index: i });
}

/** Below this many scores the threshold is a plain quickselect over a copy. */
const SAMPLED_MIN = 1 << 16;
const SAMPLES = 8192;

/**
 * The k largest scores' indices (0 < k < n), ascending, for large inputs, in one pass over the
 * scores. A fixed-seed sample brackets the threshold (the k-th largest score) by [lo, hi]; the pass
 * (which also rejects NaN) writes the indices of the scores above hi straight into the result, in
 * index order, and keeps the (index, score) pairs inside the bracket; a quickselect over the kept
 * scores finds the threshold, and a backward merge places the kept indices whose scores exceed it, plus the
 * lowest-indexed ones equal to it, among the indices above hi. Every score equal to the
 * threshold lies inside the bracket, so the tie rule is decided among the kept pairs alone. Scores
 * are |values| (or values) computed on the fly: no n-sized copy. Undefined, without a throw, when
 * the bracket misses the threshold or holds too many scores (many ties); the caller then selects
 * over all scores, and its own pass reports the first NaN, which this pass had not reached.
 */
function sampledSelect(values: Scores, k: number, abs: boolean): Int32Array | undefined {
  const n = values.length;
  const f32 = values instanceof Float32Array;
  // the sample keeps the scores' type (|float32| is exact), so that every quickselect here sees
  // one array type
  const sample = f32 ? new Float32Array(SAMPLES) : new Float64Array(SAMPLES);
  let seed = 0x9e3779b9;
  for (let i = 0; i < SAMPLES; i++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    // (seed >>> 0) % n, without a floating-point remainder: u / n is never within rounding of the
    // next integer (u < 2^32, n < 2^31), so the floor is exact
    const u = seed >>> 0;
    const x = values[u - Math.floor(u / n) * n]!;
    // a NaN in the sample is a NaN in the scores: the caller's pass reports the first one
    if (x !== x) return undefined;
    sample[i] = abs ? Math.abs(x) : x;
  }
  const frac = k / n;
  const pos = (1 - frac) * SAMPLES;
  const margin = 5 * Math.sqrt(SAMPLES * frac * (1 - frac)) + 16;
  // The bracket's ends are the sample's order statistics at loAt and hiAt, by quickselect rather
  // than a sort: the first leaves sample[loAt..] holding the largest SAMPLES − loAt, where the
  // second looks. An end past the sample's range is open: no score lies above an infinite hi or
  // below an infinite lo, so a k near 0 or near n needs no fall-back.
  const hiAt = Math.ceil(pos + margin);
  const loAt = Math.max(0, Math.floor(pos - margin));
  const lo = pos - margin < 0 ? -Infinity : kthSmallest(sample, loAt);
  const hi = hiAt >= SAMPLES ? Infinity : kthSmallest(sample.subarray(loAt), hiAt - loAt);
  const out = new Int32Array(k);
  // room for a quarter more pairs than the bracket's expected n·2·margin/SAMPLES; more grow it
  const maxInside = Math.floor(n / 4);
  const kept = new Kept(f32, Math.min(maxInside, Math.ceil(((n * 2 * margin) / SAMPLES) * 1.25) + 1024), maxInside);
  // one pass: the indices above hi into out[0, above), the pairs inside into `kept`
  const above =
    abs && values instanceof Float32Array
      ? passFloat32Magnitudes(values, lo, hi, out, kept)
      : abs
        ? passMagnitudes(values, lo, hi, out, kept)
        : passScores(values, lo, hi, out, kept);
  if (above < 0) return undefined;
  const inside = kept.length;
  const need = k - above; // how many of the bracketed scores the result takes (the threshold's rank)
  if (!(need >= 1 && need <= inside)) return undefined;
  // the threshold is the bracketed score of rank `need` from the top; the result takes the kept
  // indices whose scores exceed it and the lowest-indexed ones equal to it, `need` in all
  const scores = kept.val.subarray(0, inside) as Scores;
  const threshold = kthSmallest(scores.slice() as Scores, inside - need);
  const sel = new Int32Array(need);
  let ties = need;
  for (let j = 0; j < inside; j++) if (scores[j]! > threshold) ties--;
  for (let j = 0, c = 0; c < need; j++) {
    const x = scores[j]!;
    if (x > threshold || (x === threshold && ties-- > 0)) sel[c++] = kept.idx[j]!;
  }
  mergeInto(out, above, sel);
  return out;
}

/**
 * Merges `sel` (ascending) into out[0, above) (ascending) so that `out`, of length above +
 * sel.length, is ascending; the two hold distinct indices. Backward and in place: the larger of
 * the two tails moves to the end.
 */
function mergeInto(out: Int32Array, above: number, sel: Int32Array): void {
  let a = above - 1;
  let b = sel.length - 1;
  for (let w = out.length - 1; b >= 0; w--) out[w] = a >= 0 && out[a]! > sel[b]! ? out[a--]! : sel[b--]!;
  // what is left of out[0, above) is already in place
}

/*
 * The bracketing pass, written out per case so that the hot loop tests neither `abs` nor the array
 * type per score. Each score costs one comparison when it lies below the bracket (the common
 * case); a NaN fails every comparison and is caught on a rare path, at the first NaN's index.
 * Each returns how many indices it wrote to `out` (those above hi, ascending), or −1 on a miss:
 * more than out.length scores above hi, or a full `kept` (many ties).
 */

/**
 * |float32| ordered by its bits: for non-NaN magnitudes, a < b exactly when bits(a) < bits(b) as
 * int32, −0 and +0 both read 0, and NaN's bits lie above +Infinity's.
 */
function passFloat32Magnitudes(values: Float32Array, lo: number, hi: number, out: Int32Array, kept: Kept): number {
  const n = values.length;
  const k = out.length;
  const bits = new Int32Array(values.buffer, values.byteOffset, n);
  const loBits = lo === -Infinity ? 0 : float32Bits(lo);
  const hiBits = hi === Infinity ? INF_BITS : float32Bits(hi);
  let above = 0;
  for (let i = 0; i < n; i++) {
    const u = bits[i]! & 0x7fffffff;
    if (u < loBits) continue;
    if (u > hiBits) {
      if (u > INF_BITS) throw nanAt(i);
      if (above === k) return -1;
      out[above++] = i;
    } else if (!kept.push(i, Math.abs(values[i]!))) return -1;
  }
  return above;
}

function passMagnitudes(values: Scores, lo: number, hi: number, out: Int32Array, kept: Kept): number {
  const n = values.length;
  const k = out.length;
  let above = 0;
  for (let i = 0; i < n; i++) {
    const x = Math.abs(values[i]!);
    if (x < lo) continue;
    if (x > hi) {
      if (above === k) return -1;
      out[above++] = i;
    } else if (x !== x) throw nanAt(i);
    else if (!kept.push(i, x)) return -1;
  }
  return above;
}

function passScores(values: Scores, lo: number, hi: number, out: Int32Array, kept: Kept): number {
  const n = values.length;
  const k = out.length;
  let above = 0;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    if (x < lo) continue;
    if (x > hi) {
      if (above === k) return -1;
      out[above++] = i;
    } else if (x !== x) throw nanAt(i);
    else if (!kept.push(i, x)) return -1;
  }
  return above;
}

const INF_BITS = 0x7f800000;
const bitsScratch = new Float32Array(1);
const bitsView = new Int32Array(bitsScratch.buffer);

/** The bits of a non-negative float32 value, as an int32. */
function float32Bits(x: number): number {
  bitsScratch[0] = x;
  return bitsView[0]!;
}

/**
 * The (index, score) pairs inside the bracket, in index order, growing by doubling up to `max`.
 * Float32 scores stay float32 (|float32| is exact, so they compare exactly as before); float64
 * ones stay float64.
 */
class Kept {
  length = 0;
  idx: Int32Array;
  val: Scores;
  constructor(
    private readonly f32: boolean,
    cap: number,
    private readonly max: number,
  ) {
    this.idx = new Int32Array(cap);
    this.val = f32 ? new Float32Array(cap) : new Float64Array(cap);
  }

  /** Keeps a pair; false, keeping nothing, when `max` pairs are already kept. */
  push(i: number, x: number): boolean {
    if (this.length === this.idx.length && !this.grow()) return false;
    this.idx[this.length] = i;
    this.val[this.length++] = x;
    return true;
  }

  private grow(): boolean {
    const n = this.idx.length;
    if (n >= this.max) return false;
    const cap = Math.min(this.max, Math.max(2 * n, 1024));
    const idx = new Int32Array(cap);
    idx.set(this.idx);
    const val = this.f32 ? new Float32Array(cap) : new Float64Array(cap);
    val.set(this.val);
    this.idx = idx;
    this.val = val;
    return true;
  }
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
