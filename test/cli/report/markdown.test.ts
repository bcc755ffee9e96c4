import assert from 'node:assert/strict';
import { formatTable, renderMarkdown } from '../../../src/cli/report/markdown.js';
import { done, report, run, twoByTwo } from './fixture.js';

/** The table of all methods as rows of trimmed cells, keyed by the first cell (the method). */
function parseTable(md: string): { header: string[]; rows: Map<string, string[]> } {
  // The claims block, when there is one, comes first; the table of all methods follows its heading.
  const all = md.indexOf('\n## All methods\n');
  const lines = md.slice(all < 0 ? 0 : all).split('\n').filter((l) => l.startsWith('|'));
  // Split on pipes that Markdown has not escaped.
  const split = (l: string) => l.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim());
  const [header, , ...body] = lines.map(split);
  return { header: header!, rows: new Map(body.map((r) => [r[0]!, r.slice(1)])) };
}

describe('report.md', () => {
  it("states the base model's scores under the setup when the report has them, and nothing when not", () => {
    const r = twoByTwo();
    assert.doesNotMatch(renderMarkdown(r), /Before fine-tuning/);
    r.base = { targetAccuracy: 0.2625, sourceAccuracy: 0.991, sourceLoss: 0.08 };
    const lines = renderMarkdown(r).split('\n');
    assert.equal(lines[4], 'Before fine-tuning, the base model scores 26.3% target accuracy and 99.1% source accuracy.');
  });

  const md = renderMarkdown(twoByTwo());
  const { header, rows } = parseTable(md);
  const col = (name: string) => header.indexOf(name) - 1;

  it('has a title, a one-line setup and one table with a row per method', () => {
    const lines = md.split('\n');
    assert.equal(lines[0], '# lift compare: llama');
    assert.match(lines[2]!, /^Model llama \(4\.2M parameters, fixtures\/tiny-llama\) · 200 steps · seeds 1, 2 · batch 8 /);
    assert.match(lines[2]!, /test fixtures\/target\/test\.jsonl \(200 records\)/);
    assert.equal(md.split('\n').filter((l) => l.startsWith('| ---')).length, 2, 'the claims table and the table of all methods');
    assert.deepEqual([...rows.keys()], ['lift', 'full']);
    assert.deepEqual(header, [
      'Method', 'Target acc. (%)', 'Source retention (%)', 'Source acc. after (%)', 'Final train loss',
      'Trainable params', 'Optimizer state', 'Peak RSS (MiB)', 'Wall time (s)', 'Tokens/s',
    ]);
  });

  it('shows mean ± std with several seeds, in human units', () => {
    assert.equal(rows.get('full')![col('Target acc. (%)')], '56.0 ± 1.4');
    assert.equal(rows.get('lift')![col('Final train loss')], '0.810 ± 0.014');
    assert.equal(rows.get('full')![col('Trainable params')], '4.0M', 'a spread of 0 in a count is not shown');
    assert.equal(rows.get('full')![col('Optimizer state')], '32.0 MiB');
    assert.equal(rows.get('lift')![col('Peak RSS (MiB)')], '600 ± 0');
    assert.equal(rows.get('lift')![col('Wall time (s)')], '51.0 ± 1.4');
  });

  it('bolds the best value of each column: higher or lower, as the column wants', () => {
    const lift = rows.get('lift')!;
    const full = rows.get('full')!;
    // Higher is better.
    assert.equal(lift[col('Target acc. (%)')], '**62.0 ± 1.4**');
    assert.equal(lift[col('Source retention (%)')], '**91.0 ± 1.4**');
    assert.equal(lift[col('Source acc. after (%)')], '**73.0 ± 1.4**');
    assert.equal(lift[col('Tokens/s')], '**2050 ± 71**');
    assert.equal(full[col('Tokens/s')], '1050 ± 71');
    // Lower is better.
    assert.equal(full[col('Final train loss')], '**0.510 ± 0.014**');
    assert.equal(lift[col('Trainable params')], '**1.2M**');
    assert.equal(lift[col('Optimizer state')], '**2.0 MiB**');
    assert.equal(full[col('Peak RSS (MiB)')], '**500 ± 0**');
    assert.equal(full[col('Wall time (s)')], '**40.5 ± 0.7**');
    assert.equal(full[col('Target acc. (%)')], '56.0 ± 1.4');
    assert.equal(lift[col('Wall time (s)')], '51.0 ± 1.4');
  });

  it('bolds every method tied for best; none when all read the same or only one has a value', () => {
    const acc = (a: number, b: number, c: number) =>
      parseTable(renderMarkdown(report([done('a', [run(1, { targetAccuracy: a })]), done('b', [run(1, { targetAccuracy: b })]), done('c', [run(1, { targetAccuracy: c })])])));
    const tied = acc(0.5, 0.4, 0.50001);
    assert.deepEqual(['a', 'b', 'c'].map((m) => tied.rows.get(m)![0]), ['**50.0**', '40.0', '**50.0**']);
    const same = acc(0.5, 0.5, 0.5);
    assert.deepEqual(['a', 'b', 'c'].map((m) => same.rows.get(m)![0]), ['50.0', '50.0', '50.0']);
    const alone = parseTable(renderMarkdown(report([done('a', [run(1, {})])])));
    assert.ok(alone.rows.get('a')!.every((c) => !c.includes('**')));
  });

  it('shows one seed without a spread', () => {
    const one = parseTable(renderMarkdown(report([done('lift', [run(1, { targetAccuracy: 0.625 })])])));
    assert.equal(one.rows.get('lift')![0], '62.5');
  });

  it('lists failed and pending methods with their status, and escapes user text', () => {
    const r = twoByTwo();
    r.methods.push({ method: 'random', options: { seed: 3 }, status: 'failed', error: 'out of memory | while\nallocating', runs: [] });
    r.methods.push({ method: 'lora', options: {}, status: 'pending', runs: [] });
    r.methods.push({ method: 'my|method*', options: {}, status: 'pending', runs: [] });
    const out = renderMarkdown(r);
    const t = parseTable(out);
    assert.equal(t.rows.get('random')![0], '_failed: out of memory \\| while allocating_');
    assert.ok(t.rows.get('random')!.slice(1).every((c) => c === ''));
    assert.equal(t.rows.get('lora')![0], '_pending_');
    assert.ok(t.rows.has('my\\|method\\*'));
    assert.equal(t.rows.size, 5);
    // The best values are judged among the methods that finished.
    assert.equal(t.rows.get('lift')![0], '**62.0 ± 1.4**');
  });

  it('marks values that are not available', () => {
    const r = twoByTwo();
    r.methods[0]!.mean!.sourceRetention = NaN;
    const t = parseTable(renderMarkdown(JSON.parse(JSON.stringify(r))));
    assert.equal(t.rows.get('lift')![1], '—');
    assert.equal(t.rows.get('full')![1], '71.0 ± 1.4', 'alone with a value, it is not bold');
  });

  it('formatTable returns the table alone', () => {
    const table = formatTable(twoByTwo());
    const lines = table.split('\n');
    assert.equal(lines.length, 4);
    assert.ok(lines.every((l) => l.startsWith('| ') && l.endsWith(' |')));
    assert.ok(md.includes(table));
    // Padded into aligned columns for the terminal.
    assert.equal(new Set(lines.map((l) => l.length)).size, 1);
  });
});
