import assert from 'node:assert/strict';
import { Rng } from '../../../src/core/rng.js';
import { fillDropout } from '../../../src/core/training/dropout.js';

describe('fillDropout', () => {
  it('drops a share p of the entries and scales the rest by 1/(1-p)', () => {
    for (const p of [0.05, 0.2, 0.5]) {
      const out = new Float32Array(200_000);
      fillDropout(out, p, new Rng(5));
      let zeros = 0;
      for (const v of out) {
        if (v === 0) zeros++;
        else assert.equal(v, Math.fround(1 / (1 - p)));
      }
      // 5 standard deviations of a binomial share over 200k draws
      const sd = Math.sqrt((p * (1 - p)) / out.length);
      assert.ok(Math.abs(zeros / out.length - p) < 5 * sd, `p ${p}: dropped ${zeros / out.length}`);
    }
  });

  it('p = 0 keeps everything at 1, and the draw is the RNG stream (same seed, same mask)', () => {
    const a = new Float32Array(1000);
    fillDropout(a, 0, new Rng(1));
    assert.ok(a.every((v) => v === 1));
    const b = new Float32Array(1000);
    const c = new Float32Array(1000);
    fillDropout(b, 0.3, new Rng(9));
    fillDropout(c, 0.3, new Rng(9));
    assert.deepEqual(b, c);
  });
});
