import assert from 'node:assert/strict';
import { LiftError } from '../../src/core/errors.js';
import { summarize } from '../../src/api/summarize.js';
import { run } from '../cli/report/fixture.js';

describe('summarize', () => {
  it('gives the mean and the sample standard deviation of every metric', () => {
    const { mean, std } = summarize([run(1, { targetAccuracy: 0.5, wallSeconds: 10 }), run(2, { targetAccuracy: 0.7, wallSeconds: 14 })]);
    assert.ok(Math.abs(mean.targetAccuracy - 0.6) < 1e-12);
    assert.ok(Math.abs(std.targetAccuracy - Math.SQRT2 * 0.1) < 1e-12); // n − 1 in the denominator
    assert.equal(mean.wallSeconds, 12);
    assert.equal(std.trainableParams, 0);
  });

  it('gives std 0 with one seed', () => {
    const { mean, std } = summarize([run(1, { targetAccuracy: 0.25 })]);
    assert.equal(mean.targetAccuracy, 0.25);
    assert.ok(Object.values(std).every((v) => v === 0));
  });

  it('propagates a value that is not finite in any seed', () => {
    const { mean, std } = summarize([run(1, { sourceRetention: NaN }), run(2, {})]);
    assert.ok(Number.isNaN(mean.sourceRetention) && Number.isNaN(std.sourceRetention));
    assert.equal(mean.targetAccuracy, 0.5);
  });

  it('refuses an empty list of runs', () => {
    assert.throws(() => summarize([]), (e: unknown) => e instanceof LiftError && e.code === 'E_INVALID_ARGUMENT');
  });
});
