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
  for (let i = 0; i < n; i++) {
    if (values[i] !== values[i]) {
      throw new InvalidArgumentError(`score at flat index ${i} is NaN; top-k needs ordered scores`, { field: 'scores', index: i });
    }
  }
  const out = new Int32Array(k);
  if (k === 0) return out;
  if (k === n) {
    for (let i = 0; i < n; i++) out[i] = i;
    return out;
  }

  const work = values.slice() as Scores;
  if (abs) for (let i = 0; i < n; i++) work[i] = Math.abs(work[i]!);
  const threshold = kthSmallest(work, n - k);

  let above = 0;
  for (let i = 0; i < n; i++) if ((abs ? Math.abs(values[i]!) : values[i]!) > threshold) above++;
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
