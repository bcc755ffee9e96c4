import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LiftError } from '../../../src/core/errors.js';
import { validateReport } from '../../../src/cli/report/schema.js';
import { ReportWriter, readReport, renderReportFiles, writeReport } from '../../../src/cli/report/write.js';
import type { CompareReport } from '../../../src/api/compare-report.js';
import { twoByTwo } from './fixture.js';

describe('writeReport', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lift-report-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const read = (f: string) => readFileSync(join(dir, f), 'utf8');

  it('writes report.json, report.md and report.html; report.json validates', () => {
    const out = join(dir, 'out');
    writeReport(out, twoByTwo());
    assert.deepEqual(readdirSync(out).sort(), ['report.html', 'report.json', 'report.md']);
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    assert.deepEqual(validateReport(json), []);
    assert.deepEqual(json, JSON.parse(JSON.stringify(twoByTwo())));
    assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /^# lift compare: llama\n/);
    assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /^<!DOCTYPE html>/);
    assert.deepEqual(readReport(join(out, 'report.json')), json);
  });

  it('refuses a folder that holds a report unless forced, writing nothing', () => {
    writeFileSync(join(dir, 'report.json'), '{"old": true}');
    writeFileSync(join(dir, 'report.md'), 'old');
    assert.throws(
      () => writeReport(dir, twoByTwo()),
      (e: unknown) =>
        e instanceof LiftError &&
        e.code === 'E_OUTPUT_EXISTS' &&
        e.message === `${dir} already holds a report (report.json); pass --force to overwrite`,
    );
    assert.deepEqual(readdirSync(dir).sort(), ['report.json', 'report.md']);
    assert.equal(read('report.json'), '{"old": true}');
    assert.equal(read('report.md'), 'old');

    writeReport(dir, twoByTwo(), { force: true });
    assert.deepEqual(readdirSync(dir).sort(), ['report.html', 'report.json', 'report.md']);
    assert.equal(JSON.parse(read('report.json')).schemaVersion, 1);
    assert.match(read('report.md'), /^# lift compare/);
  });

  it('lets one compare run rewrite its report after each method; another run is refused', () => {
    const r = twoByTwo();
    const full = r.methods[1]!;
    r.methods[1] = { method: 'full', options: full.options, status: 'pending', runs: [] };
    const writer = ReportWriter.open(dir);
    writer.write(r);
    assert.match(read('report.md'), /\| full +\| _pending_/);
    r.methods[1] = full;
    writer.write(r);
    assert.doesNotMatch(read('report.md'), /pending/);
    assert.equal(JSON.parse(read('report.json')).methods[1].status, 'done');
    assert.throws(() => ReportWriter.open(dir), (e: unknown) => e instanceof LiftError && e.code === 'E_OUTPUT_EXISTS');
    assert.doesNotThrow(() => ReportWriter.open(dir, { force: true }));
  });

  it('writes nothing for a report that breaks the schema', () => {
    const r = twoByTwo();
    r.methods[0]!.mean!.targetAccuracy = 1.5;
    assert.throws(() => writeReport(dir, r), /\/methods\/0\/mean\/targetAccuracy: must be <= 1/);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('renders the same bytes from memory and from report.json read back, every time', () => {
    const r = twoByTwo();
    r.methods[0]!.mean!.sourceRetention = NaN;
    const a = renderReportFiles(r);
    const b = renderReportFiles(JSON.parse(a.json) as CompareReport);
    assert.deepEqual(a, b);
    assert.deepEqual(renderReportFiles(r), a);
    assert.equal(JSON.parse(a.json).methods[0].mean.sourceRetention, null);
  });
});
