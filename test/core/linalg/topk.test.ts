import { strict as assert } from 'node:assert';
import { sharedCount, topKByMagnitude, topKIndices } from '../../../src/core/linalg/topk.js';
import { InvalidArgumentError } from '../../../src/core/errors.js';
import { Rng } from '../../../src/core/rng.js';
import { topKReference } from './helpers.js';

describe('topKIndices', () => {
  it('matches a full sort on random data', () => {
    const rng = new Rng(1);
    for (const n of [1, 2, 17, 1000, 4099]) {
      const s = new Float32Array(n);
      for (let i = 0; i < n; i++) s[i] = rng.normal();
      for (const k of [0, 1, Math.floor(n / 3), n - 1, n]) {
        if (k < 0) continue;
        assert.deepEqual(topKIndices(s, k), topKReference(s, k), `n=${n} k=${k}`);
      }
    }
  });

  it('breaks ties by lower flat index, with many ties', () => {
    const rng = new Rng(2);
    const s = new Float64Array(5000);
    for (let i = 0; i < s.length; i++) s[i] = rng.int(7) - 3; // seven distinct values
    for (const k of [1, 10, 714, 2500, 4321, 4999]) assert.deepEqual(topKIndices(s, k), topKReference(s, k), `k=${k}`);
    const flat = new Float32Array(100).fill(1);
    assert.deepEqual(Array.from(topKIndices(flat, 5)), [0, 1, 2, 3, 4]);
  });

  it('treats -0 and +0 as equal and handles infinities', () => {
    const s = Float64Array.from([-0, Infinity, 0, -Infinity, -0]);
    assert.deepEqual(Array.from(topKIndices(s, 3)), [0, 1, 2]);
    assert.deepEqual(Array.from(topKIndices(s, 5)), [0, 1, 2, 3, 4]);
  });

  it('handles k = 0 and k = n', () => {
    const s = Float32Array.from([3, 1, 2]);
    assert.equal(topKIndices(s, 0).length, 0);
    assert.deepEqual(Array.from(topKIndices(s, 3)), [0, 1, 2]);
    assert.equal(topKIndices(new Float32Array(0), 0).length, 0);
  });

  it('rejects NaN scores and out-of-range k', () => {
    assert.throws(() => topKIndices(Float32Array.from([1, Number.NaN, 2]), 1), /flat index 1 is NaN/);
    assert.throws(() => topKIndices(Float32Array.from([1, 2]), 3), InvalidArgumentError);
    assert.throws(() => topKIndices(Float32Array.from([1, 2]), -1), InvalidArgumentError);
    assert.throws(() => topKIndices(Float32Array.from([1, 2]), 1.5), InvalidArgumentError);
  });

  it('selects by magnitude', () => {
    const v = Float32Array.from([0.5, -3, 2, -2, 0, 1]);
    assert.deepEqual(Array.from(topKByMagnitude(v, 3)), [1, 2, 3]); // |−2| ties |2|, both kept
    assert.deepEqual(Array.from(topKByMagnitude(v, 2)), [1, 2]); // tie: index 2 beats index 3
    const rng = new Rng(3);
    const w = new Float32Array(3000);
    for (let i = 0; i < w.length; i++) w[i] = rng.int(11) - 5;
    assert.deepEqual(topKByMagnitude(w, 1234), topKReference(w.map(Math.abs), 1234));
  });

  it("selects the k smallest magnitudes with 'smallest', ties to the lower index", () => {
    const v = Float32Array.from([0.5, -3, 2, -2, 0, 1, -0]);
    assert.deepEqual(Array.from(topKByMagnitude(v, 2, 'smallest')), [4, 6]); // 0 and −0
    assert.deepEqual(Array.from(topKByMagnitude(v, 4, 'smallest')), [0, 4, 5, 6]);
    assert.deepEqual(Array.from(topKByMagnitude(v, 5, 'smallest')), [0, 2, 4, 5, 6]); // |2| ties |−2|: index 2 wins
    // the definition by a full sort (ascending magnitude, then index), with many ties, in float32
    // and float64, and above the size where the threshold comes from a sample
    const rng = new Rng(5);
    for (const n of [3000, 1 << 17]) {
      const w = new Float64Array(n);
      for (let i = 0; i < n; i++) w[i] = n < 5000 ? rng.int(11) - 5 : rng.normal();
      for (const arr of [w, Float32Array.from(w)]) {
        const k = Math.floor(n / 7);
        assert.deepEqual(topKByMagnitude(arr, k, 'smallest'), topKReference(Array.from(arr, (x) => -Math.abs(x)), k), `n ${n}`);
      }
    }
    assert.throws(() => topKByMagnitude(Float32Array.from([1, NaN]), 1, 'smallest'), /flat index 1 is NaN/);
  });

  it('selects from 1M entries quickly, without a full sort', () => {
    const rng = new Rng(4);
    const n = 1 << 20;
    const s = new Float32Array(n);
    for (let i = 0; i < n; i++) s[i] = rng.next();
    const k = 50_000;
    const t0 = performance.now();
    const idx = topKIndices(s, k);
    const ms = performance.now() - t0;
    assert.equal(idx.length, k);
    // check against the definition: strictly increasing, and no unchosen score beats the smallest chosen one
    const chosen = new Uint8Array(n);
    let min = Infinity;
    for (let i = 0; i < k; i++) {
      if (i > 0) assert.ok(idx[i]! > idx[i - 1]!);
      chosen[idx[i]!] = 1;
      min = Math.min(min, s[idx[i]!]!);
    }
    for (let i = 0; i < n; i++) if (!chosen[i]) assert.ok(s[i]! <= min);
    assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
  });
});

/**
 * The k best of `scores` by (score descending, index ascending), ascending, from one full sort of
 * the indices: `take(k)` for any k without sorting again.
 */
function byFullSort(scores: ArrayLike<number>): (k: number) => Int32Array {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => (scores[a]! < scores[b]! ? 1 : scores[a]! > scores[b]! ? -1 : a - b));
  return (k) => Int32Array.from(order.slice(0, k)).sort();
}

/** The flat positions that top-k's fixed-seed sampler reads (xorshift32 from 0x9e3779b9). */
function sampledPositions(n: number): number[] {
  const at: number[] = [];
  let seed = 0x9e3779b9;
  for (let i = 0; i < 8192; i++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    at.push((seed >>> 0) % n);
  }
  return at;
}

/** Every selection over `v` at each k against the full sort: topKIndices, largest, smallest. */
function checkAll(v: Float32Array | Float64Array, ks: number[], label: string): void {
  const byValue = byFullSort(v);
  const byMag = byFullSort(Array.from(v, Math.abs));
  const byNegMag = byFullSort(Array.from(v, (x) => -Math.abs(x)));
  for (const k of ks) {
    assert.deepEqual(topKIndices(v, k), byValue(k), `${label} topKIndices k=${k}`);
    assert.deepEqual(topKByMagnitude(v, k), byMag(k), `${label} largest k=${k}`);
    assert.deepEqual(topKByMagnitude(v, k, 'smallest'), byNegMag(k), `${label} smallest k=${k}`);
  }
}

const nanIndex = (i: number) => (e: unknown) =>
  e instanceof InvalidArgumentError && e.message.includes(`flat index ${i} is NaN`) && (e.details as { index?: number }).index === i;

describe('topKIndices above the sampled size (n ≥ 2^16)', () => {
  it('matches a full sort on normal values, float32 and float64, with negative values', () => {
    const rng = new Rng(11);
    for (const n of [1 << 16, 70001, 1 << 17]) {
      const w = new Float64Array(n);
      for (let i = 0; i < n; i++) w[i] = rng.normal() * 3 - 0.5; // both signs
      const ks = [Math.floor(n * 0.03), Math.floor(n * 0.045), Math.floor(n * 0.06), Math.floor(n / 3)];
      checkAll(w, ks, `f64 n=${n}`);
      checkAll(Float32Array.from(w), ks, `f32 n=${n}`);
    }
    // all negative: the largest values are the ones nearest zero, the largest magnitudes the farthest
    const neg = new Float32Array(80000);
    for (let i = 0; i < neg.length; i++) neg[i] = -Math.abs(rng.normal()) - 1;
    checkAll(neg, [2400, 4000], 'negative');
  });

  it('matches a full sort with many exact ties at the threshold', () => {
    const rng = new Rng(12);
    const n = 90001;
    for (const levels of [2, 3, 5, 9, 40]) {
      const w = new Float32Array(n);
      for (let i = 0; i < n; i++) w[i] = rng.int(levels) - Math.floor(levels / 2);
      checkAll(w, [1, 100, Math.floor(n * 0.04), Math.floor(n * 0.3), n - 100], `${levels} levels`);
    }
    // a 4% top level: the threshold sits exactly on a tie boundary, or one below it
    const two = new Float64Array(n);
    for (let i = 0; i < n; i++) two[i] = rng.next() < 0.04 ? 2 : rng.next() < 0.5 ? -1 : 1;
    let top = 0;
    for (const x of two) if (x === 2) top++;
    checkAll(two, [top - 1, top, top + 1, top + 500], 'two levels');
    // −0 and +0 tie, in float32 and float64
    const zeros = new Float64Array(n);
    for (let i = 0; i < n; i++) zeros[i] = rng.next() < 0.03 ? rng.normal() : rng.next() < 0.5 ? -0 : 0;
    checkAll(zeros, [Math.floor(n * 0.02), Math.floor(n * 0.05), n - 10], '±0');
    checkAll(Float32Array.from(zeros), [Math.floor(n * 0.05)], '±0 f32');
  });

  it('matches a full sort for k near 0 and near n, and with infinities', () => {
    const rng = new Rng(13);
    const n = 70001;
    const w = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const r = rng.next();
      w[i] = r < 0.001 ? Infinity : r < 0.002 ? -Infinity : rng.normal();
    }
    checkAll(w, [0, 1, 2, 3, 17, 70, 140, n - 140, n - 70, n - 17, n - 2, n - 1, n], 'edges');
  });

  it('falls back to selecting over all scores, with the same result, when the sample misses', () => {
    const rng = new Rng(14);
    const n = 100003;
    // the sampled positions hold scores far above (or below) the rest: the sample's bracket lies
    // nowhere near the true threshold, so the one-pass selection must give way to the full one
    const fakes: Array<[string, () => number]> = [
      ['high', () => 1000 + rng.next()],
      ['low', () => 1e-3 * rng.next()],
      ['negative', () => -1000 - rng.next()],
    ];
    for (const [name, fake] of fakes) {
      const w = new Float64Array(n);
      for (let i = 0; i < n; i++) w[i] = rng.normal();
      for (const at of sampledPositions(n)) w[at] = fake();
      checkAll(w, [5, Math.floor(n * 0.04), Math.floor(n / 2), n - 5], `fooled ${name}`);
      checkAll(Float32Array.from(w), [Math.floor(n * 0.04)], `fooled ${name} f32`);
    }
    // every score equal (the bracket holds them all) and half of them at the top level
    checkAll(new Float32Array(n).fill(0.25), [1, Math.floor(n * 0.04), n - 1], 'all equal');
    const half = Float32Array.from({ length: n }, () => rng.int(2));
    checkAll(half, [Math.floor(n * 0.04)], 'half ties');
  });

  it('names the first NaN, wherever it falls against the bracketed scores', () => {
    const rng = new Rng(15);
    const n = 80000;
    const base = new Float32Array(n);
    for (let i = 0; i < n; i++) base[i] = rng.normal();
    const k = Math.floor(n * 0.05);
    const sampled = sampledPositions(n);
    const firstUnsampled = (from: number) => {
      const s = new Set(sampled);
      let i = from;
      while (s.has(i)) i++;
      return i;
    };
    const cases: Array<{ nan: number[]; first: number }> = [
      { nan: [0], first: 0 }, // before any score is kept
      { nan: [n - 1], first: n - 1 }, // after every one
      { nan: [n >> 1, n - 3], first: n >> 1 }, // among them; the later one is not reported
      { nan: [firstUnsampled(40000), sampled[7]!], first: Math.min(firstUnsampled(40000), sampled[7]!) }, // one the sample sees
      { nan: [firstUnsampled(70000)], first: firstUnsampled(70000) }, // one the sample does not see
    ];
    for (const { nan, first } of cases) {
      const v = base.slice();
      for (const i of nan) v[i] = Number.NaN;
      const w = Float64Array.from(v);
      for (const kk of [0, 1, k, n - 1, n]) {
        assert.throws(() => topKIndices(v, kk), nanIndex(first), `topKIndices NaN at ${nan} k=${kk}`);
        assert.throws(() => topKByMagnitude(v, kk), nanIndex(first), `largest NaN at ${nan} k=${kk}`);
        assert.throws(() => topKByMagnitude(w, kk), nanIndex(first), `largest f64 NaN at ${nan} k=${kk}`);
        assert.throws(() => topKByMagnitude(v, kk, 'smallest'), nanIndex(first), `smallest NaN at ${nan} k=${kk}`);
      }
    }
    // a sample that misses (fooled, as above) with a NaN past where the one-pass selection gives up
    const fooled = base.slice();
    for (const at of sampled) fooled[at] = 1e-3;
    const late = firstUnsampled(n - 50);
    fooled[late] = Number.NaN;
    assert.throws(() => topKByMagnitude(fooled, k), nanIndex(late));
    assert.throws(() => topKIndices(fooled, k), nanIndex(late));
  });

  it('selects the LIFT mask shape (1536×576, k = (1536+576)·16) by the definition', () => {
    const rng = new Rng(16);
    const n = 1536 * 576;
    const k = (1536 + 576) * 16;
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = rng.normal() * 0.02;
    const idx = topKByMagnitude(v, k);
    assert.equal(idx.length, k);
    // the definition, checked in linear time: strictly increasing; no unchosen magnitude above the
    // smallest chosen one (t); and the chosen magnitudes equal to t are the lowest-indexed such
    const chosen = new Uint8Array(n);
    let t = Infinity;
    for (let i = 0; i < k; i++) {
      if (i > 0) assert.ok(idx[i]! > idx[i - 1]!);
      chosen[idx[i]!] = 1;
      t = Math.min(t, Math.abs(v[idx[i]!]!));
    }
    let unchosenTie = false;
    for (let i = 0; i < n; i++) {
      const m = Math.abs(v[i]!);
      if (!chosen[i]) {
        assert.ok(m <= t, `unchosen ${i} beats the threshold`);
        if (m === t) unchosenTie = true;
      } else if (m === t) assert.ok(!unchosenTie, `chosen tie ${i} after an unchosen one`);
    }
  });
});

describe('sharedCount', () => {
  it('counts the indices two sorted masks share', () => {
    assert.equal(sharedCount(Int32Array.from([1, 3, 5, 9]), Int32Array.from([0, 3, 4, 9, 12])), 2);
    assert.equal(sharedCount(Int32Array.from([]), Int32Array.from([1])), 0);
    assert.equal(sharedCount(Int32Array.from([2, 4]), Int32Array.from([2, 4])), 2);
  });
});
