import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { LiftError } from '../../../src/core/errors.js';
import { ReportValidationError, assertValidReport, reportSchema, validateReport } from '../../../src/cli/report/schema.js';
import { METRIC_KEYS } from '../../../src/api/compare-report.js';
import { twoByTwo } from './fixture.js';

/** The report as report.json holds it. */
const stored = (r: unknown): any => JSON.parse(JSON.stringify(r));

describe('report schema', () => {
  it('accepts a 2 methods × 2 seeds report, and failed and pending methods', () => {
    const r = stored(twoByTwo());
    assert.deepEqual(validateReport(r), []);
    r.methods.push({ method: 'random', options: {}, status: 'failed', error: 'boom', runs: [] });
    r.methods.push({ method: 'lora', label: 'lora r=8', options: { rank: 8 }, status: 'pending', runs: [] });
    assert.deepEqual(validateReport(r), []);
  });

  it('accepts the base model scores, optional, and checks them', () => {
    const r = stored(twoByTwo());
    r.base = { targetAccuracy: 0.26, sourceAccuracy: 0.99, sourceLoss: 0.08 };
    assert.deepEqual(validateReport(r), []);
    r.base.targetAccuracy = 1.2;
    delete r.base.sourceLoss;
    const byPath = new Map(validateReport(r).map((x) => [x.path, x.message]));
    assert.match(byPath.get('/base/targetAccuracy') ?? '', /<= 1/);
    assert.match(byPath.get('/base/sourceLoss') ?? '', /required/);
  });

  it('accepts null for a metric that was not finite (NaN is written as null)', () => {
    const r = twoByTwo();
    r.methods[0]!.mean!.sourceRetention = NaN;
    r.methods[0]!.runs[0]!.lossCurve[3]!.loss = Infinity;
    assert.deepEqual(validateReport(stored(r)), []);
  });

  it('lists every violation with its JSON path: a missing field, an accuracy of 1.5, a wrong type', () => {
    const r = stored(twoByTwo());
    delete r.methods[0].runs[1].targetAccuracy;
    r.methods[1].mean.targetAccuracy = 1.5;
    r.settings.steps = '200';
    r.methods[0].extra = true;
    const v = validateReport(r);
    const byPath = new Map(v.map((x) => [x.path, x.message]));
    assert.match(byPath.get('/methods/0/runs/1/targetAccuracy') ?? '', /required/);
    assert.match(byPath.get('/methods/1/mean/targetAccuracy') ?? '', /<= 1/);
    assert.match(byPath.get('/settings/steps') ?? '', /integer/);
    assert.match(byPath.get('/methods/0/extra') ?? '', /not a known field/);
    assert.equal(v.length, 4, JSON.stringify(v));
  });

  it('requires mean and std of a done method and the error of a failed one', () => {
    const r = stored(twoByTwo());
    delete r.methods[0].mean;
    r.methods[1].status = 'failed';
    const paths = validateReport(r).map((x) => x.path);
    assert.deepEqual(paths.sort(), ['/methods/0/mean', '/methods/1/error']);
  });

  it('checks enums, the schema version and the time stamp', () => {
    const r = stored(twoByTwo());
    r.schemaVersion = 2;
    r.createdAt = 'yesterday';
    r.methods[0].status = 'running';
    const v = validateReport(r);
    assert.deepEqual(v.map((x) => x.path).sort(), ['/createdAt', '/methods/0/status', '/schemaVersion']);
    assert.match(v.find((x) => x.path === '/methods/0/status')!.message, /"done", "failed", "pending"/);
  });

  it('assertValidReport throws a LiftError naming every path', () => {
    const r = stored(twoByTwo());
    r.methods[0].runs[0].seed = -1;
    r.methods[1].runs[0].trainableParams = 1.5;
    assert.throws(
      () => assertValidReport(r, 'out/report.json'),
      (e: unknown) => {
        assert.ok(e instanceof ReportValidationError && e instanceof LiftError);
        assert.equal(e.code, 'E_INVALID_ARGUMENT');
        assert.match(e.message, /out\/report\.json/);
        assert.match(e.message, /\/methods\/0\/runs\/0\/seed/);
        assert.match(e.message, /\/methods\/1\/runs\/0\/trainableParams/);
        assert.equal(e.violations.length, 2);
        return true;
      },
    );
  });

  it('docs/report-schema.md documents every field of the schema', () => {
    const doc = readFileSync(new URL('../../../docs/report-schema.md', import.meta.url), 'utf8');
    const names = new Set<string>(METRIC_KEYS);
    const walk = (s: any) => {
      if (!s || typeof s !== 'object') return;
      for (const k of Object.keys(s.properties ?? {})) names.add(k);
      for (const v of Object.values(s)) walk(v);
    };
    walk(reportSchema);
    const undocumented = [...names].filter((n) => !doc.includes(`\`${n}\``));
    assert.deepEqual(undocumented, []);
  });
});
