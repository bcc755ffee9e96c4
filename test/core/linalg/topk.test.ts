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

describe('sharedCount', () => {
  it('counts the indices two sorted masks share', () => {
    assert.equal(sharedCount(Int32Array.from([1, 3, 5, 9]), Int32Array.from([0, 3, 4, 9, 12])), 2);
    assert.equal(sharedCount(Int32Array.from([]), Int32Array.from([1])), 0);
    assert.equal(sharedCount(Int32Array.from([2, 4]), Int32Array.from([2, 4])), 2);
  });
});
