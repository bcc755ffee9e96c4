import assert from 'node:assert/strict';
import { renderHtml } from '../../../src/cli/report/html.js';
import type { CompareReport } from '../../../src/api/compare-report.js';
import { done, report, run, twoByTwo } from './fixture.js';

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;
const stored = (r: CompareReport): CompareReport => JSON.parse(JSON.stringify(r));

/** The markup of the element with this id, up to its closing tag (the charts do not nest svgs). */
function svgById(html: string, id: string): string {
  const start = html.indexOf(`<svg id="${id}"`);
  assert.ok(start >= 0, `no <svg id="${id}">`);
  return html.slice(start, html.indexOf('</svg>', start) + 6);
}

describe('report.html', () => {
  it("states the base model's scores once, under the setup, only when the report has them", () => {
    const r = twoByTwo();
    assert.equal(count(renderHtml(r), /class="base"/g), 0);
    r.base = { targetAccuracy: 0.2625, sourceAccuracy: 0.991, sourceLoss: 0.08 };
    const html = renderHtml(r);
    assert.equal(count(html, /<p class="base">Before fine-tuning, the base model scores 26\.3% target accuracy and 99\.1% source accuracy\.<\/p>/g), 1);
    assert.ok(html.indexOf('class="setup"') < html.indexOf('class="base"'));
  });

  it('holds the table and the three charts, with titles and roles', () => {
    const html = renderHtml(twoByTwo());
    assert.equal(count(html, /<table id="report-table">/g), 1);
    const table = html.slice(html.indexOf('<table id="report-table">'));
    assert.equal(count(html, /<tbody>[\s\S]*?<\/tbody>/g), 2, 'the claims table and the table of all methods');
    assert.equal(count(table.match(/<tbody>[\s\S]*?<\/tbody>/)![0], /<tr /g), 2);
    for (const id of ['loss-curves', 'acc-vs-params', 'acc-vs-retention']) {
      const svg = svgById(html, id);
      assert.match(svg, /role="img"/);
      assert.match(svg, new RegExp(`<title id="${id}-title">[^<]+</title>`));
    }
    assert.equal(count(svgById(html, 'loss-curves'), /<path class="series"/g), 2);
    assert.equal(count(svgById(html, 'acc-vs-params'), /<circle class="point"/g), 2);
    assert.equal(count(svgById(html, 'acc-vs-retention'), /<circle class="point"/g), 2);
    assert.match(html, /<td class="best"><strong>62\.0 ± 1\.4<\/strong><\/td>/);
  });

  it('is self-contained: no scripts, no URLs, a policy that forbids fetching', () => {
    const html = renderHtml(twoByTwo());
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /https?:|\/\/[a-z]|url\(|@import|src=|href=/i);
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">/);
  });

  it('escapes every piece of text that comes from the report', () => {
    const evil = '<script>alert(1)</script>';
    const r = twoByTwo();
    r.methods[0]!.method = evil;
    r.methods[0]!.options = { '"><img onerror=x>': '<b>' };
    r.methods.push({ method: 'x', label: `a"b'c&d`, options: {}, status: 'failed', error: '</pre><script>alert(2)</script>', runs: [] });
    r.model.modelType = '<i>llama</i>';
    r.command = ['lift', '--out', '<dir>'];
    const html = renderHtml(r);
    assert.doesNotMatch(html, /<script|<img|<b>|<i>|<dir>/i);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(html, /data-method="&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
    assert.match(html, /a&quot;b&#39;c&amp;d/);
    assert.match(html, /<title>lift compare: &lt;i&gt;llama&lt;\/i&gt;<\/title>/);
  });

  it('gives the same bytes for the same report', () => {
    assert.equal(renderHtml(twoByTwo()), renderHtml(twoByTwo()));
  });

  it('draws one method with one seed and a one-point loss curve, with a marker', () => {
    const html = renderHtml(report([done('lift', [run(1, {}, 1)])]));
    const loss = svgById(html, 'loss-curves');
    assert.equal(count(loss, /<path class="series"/g), 1);
    assert.equal(count(loss, /<circle class="marker"/g), 1);
    assert.equal(count(svgById(html, 'acc-vs-params'), /<circle class="point"/g), 1);
    assert.doesNotMatch(html, /NaN|Infinity|undefined/);
  });

  it('spreads an axis whose values are all equal, and keeps tick labels finite', () => {
    const same = { targetAccuracy: 1, sourceRetention: 1, trainableParams: 1000 };
    const r = report([done('a', [run(1, same)]), done('b', [run(1, same)])]);
    const html = renderHtml(r);
    assert.doesNotMatch(html, /NaN|Infinity/);
    const svg = svgById(html, 'acc-vs-retention');
    const xs = [...svg.matchAll(/<circle class="point"[^>]* cx="([^"]+)"/g)].map((m) => Number(m[1]));
    assert.equal(xs.length, 2);
    assert.ok(xs.every((x) => x > 72 && x < 720 - 24), `points inside the plot: ${xs}`);
    assert.ok(count(svgById(html, 'acc-vs-params'), /class="tick-label"/g) >= 4);
  });

  it('skips missing, non-finite and non-positive values with a note, and pending and failed methods', () => {
    const r = twoByTwo();
    r.methods[0]!.runs[0]!.lossCurve[2]!.loss = NaN;
    r.methods[1]!.mean!.sourceRetention = NaN;
    r.methods.push(done('zero', [run(1, { trainableParams: 0 })]));
    r.methods.push({ method: 'random', options: {}, status: 'failed', error: 'boom', runs: [] });
    r.methods.push({ method: 'lora', options: {}, status: 'pending', runs: [] });
    const html = renderHtml(stored(r));
    assert.doesNotMatch(html, /NaN|Infinity|undefined|null/);
    assert.match(html, /lift: 1 non-finite loss value skipped/);
    assert.match(html, /No loss curve for: random \(failed\), lora \(pending\)/);
    assert.match(html, /Not plotted: zero \(Trainable parameters 0 cannot be placed on a log axis\), random \(failed\), lora \(pending\)/);
    assert.match(html, /Not plotted: full \(Source retention not available\), random \(failed\), lora \(pending\)/);
    assert.equal(count(svgById(html, 'loss-curves'), /<path class="series"/g), 3);
    assert.equal(count(svgById(html, 'acc-vs-params'), /<circle class="point"/g), 2);
    assert.equal(count(svgById(html, 'acc-vs-retention'), /<circle class="point"/g), 2);
    assert.match(html, /<td class="status" colspan="9">failed: boom<\/td>/);
  });

  it('keeps every chart, with a message, when nothing can be drawn', () => {
    const r = report([{ method: 'lift', options: {}, status: 'pending', runs: [] }]);
    const html = renderHtml(r);
    for (const id of ['loss-curves', 'acc-vs-params', 'acc-vs-retention']) assert.match(svgById(html, id), /class="empty"/);
  });
});
