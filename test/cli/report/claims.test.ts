import assert from 'node:assert/strict';
import { buildClaims, claimsTable, difference, formatPoints, tQuantile975, verdict } from '../../../src/cli/report/claims.js';
import { renderHtml } from '../../../src/cli/report/html.js';
import { renderMarkdown } from '../../../src/cli/report/markdown.js';
import { done, report, run } from './fixture.js';

const close = (a: number | undefined, b: number, eps = 1e-9) => assert.ok(a !== undefined && Math.abs(a - b) <= eps, `${a} ≉ ${b}`);

/** lift and one baseline, seeds 1..n, with the given target accuracies and retentions. */
function pair(lift: number[], base: number[], retention: [number[], number[]] = [lift, base], baseSeeds = lift.map((_, i) => i + 1)) {
  return report([
    done('lift', lift.map((t, i) => run(i + 1, { targetAccuracy: t, sourceRetention: retention[0][i]!, optimizerStateBytes: 1000 }))),
    done('full', base.map((t, i) => run(baseSeeds[i]!, { targetAccuracy: t, sourceRetention: retention[1][i]!, optimizerStateBytes: 20000 }))),
  ]);
}

describe('report claims: LIFT against each baseline', () => {
  it('pairs runs by seed: a t-interval over the per-seed differences', () => {
    // Differences 0.10, 0.12, 0.14: mean 0.12, sd 0.02, half-width t(2) · 0.02 / √3.
    const r = pair([0.6, 0.62, 0.64], [0.5, 0.5, 0.5]);
    const d = difference(r.methods[0]!, r.methods[1]!, 'targetAccuracy')!;
    assert.equal(d.kind, 'paired');
    close(d.mean, 0.12);
    close(d.high! - d.mean, (4.303 * 0.02) / Math.sqrt(3));
    assert.equal(verdict(d), 'higher');
  });

  it("uses Welch's interval when the seeds differ, and says when it cannot tell", () => {
    const r = pair([0.5, 0.6], [0.55, 0.56], undefined, [7, 8]);
    const d = difference(r.methods[0]!, r.methods[1]!, 'targetAccuracy')!;
    assert.equal(d.kind, 'welch');
    close(d.mean, 0.55 - 0.555);
    assert.ok(d.low! < 0 && d.high! > 0);
    assert.equal(verdict(d), 'not significant');
  });

  it('labels a single seed as not significant, with no interval', () => {
    const model = buildClaims(pair([0.7], [0.5]))!;
    assert.equal(model.claims[0]!.target.kind, 'single');
    assert.equal(verdict(model.claims[0]!.target), 'single seed');
    const t = claimsTable(model);
    assert.deepEqual(t.rows[0], ['full', '+20.0', '+20.0', '0.05×', 'single seed, not significant']);
    assert.match(t.note, /^Single seed: .*not significant/);
  });

  it('reads each baseline row: differences in points with their interval, and the optimizer memory ratio', () => {
    const model = buildClaims(pair([0.6, 0.62, 0.64], [0.5, 0.5, 0.5], [[0.9, 0.9, 0.9], [0.95, 0.94, 0.96]]))!;
    const [row] = claimsTable(model).rows;
    assert.equal(row![0], 'full');
    assert.match(row![1]!, /^\+12\.0 \[\+7\.0, \+17\.0\]$/);
    assert.match(row![2]!, /^−5\.0 \[−7\.5, −2\.5\]$/);
    assert.equal(row![3], '0.05×');
    assert.equal(row![4], 'target higher; retention lower');
  });

  it('has no block without a finished LIFT run or a baseline', () => {
    assert.equal(buildClaims(report([done('full', [run(1, {})])])), undefined);
    assert.equal(buildClaims(report([done('lift', [run(1, {})])])), undefined);
    const md = renderMarkdown(report([done('full', [run(1, {})]), done('lora', [run(1, {})])]));
    assert.doesNotMatch(md, /Claims/);
  });

  it('opens report.md and report.html', () => {
    const r = pair([0.6, 0.62, 0.64], [0.5, 0.5, 0.5]);
    const md = renderMarkdown(r);
    assert.ok(md.indexOf('## Claims: lift against each baseline') < md.indexOf('## All methods'));
    assert.match(md, /\| full \| \+12\.0 \\\[\+7\.0, \+17\.0\\\] \|/);
    const html = renderHtml(r);
    assert.ok(html.indexOf('<table id="claims-table">') < html.indexOf('<table id="report-table">'));
    assert.match(html, /paired t-intervals over 3 seeds/);
  });

  it('formats points with a true minus sign and t quantiles from the table', () => {
    assert.equal(formatPoints(-0.0251), '−2.5');
    assert.equal(formatPoints(0.0004), '0.0');
    assert.equal(tQuantile975(1), 12.706);
    assert.equal(tQuantile975(2.7), 4.303, 'a fractional df rounds down');
    assert.equal(tQuantile975(1000), 1.96);
  });
});
