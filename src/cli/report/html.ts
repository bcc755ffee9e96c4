/**
 * report.html: one self-contained file (inline CSS and SVG, no scripts, no URLs) that opens from
 * disk anywhere, including machines with no network. A Content-Security-Policy forbids every
 * fetch, so even text that slipped past escaping could load nothing.
 */
import { buildClaims, claimsTable } from './claims.js';
import { accuracyVsParamsChart, accuracyVsRetentionChart, lossCurvesChart, type Chart } from './charts.js';
import { MISSING, escapeXml as esc, formatOptions } from './format.js';
import { seriesStyle } from './svg.js';
import { baseSummary, buildTable, displayNames, provenance, runsSummary, setupSummary, type TableModel } from './table.js';
import type { CompareReport } from '../../api/compare-report.js';

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a; background: #fff; margin: 0; }
main { max-width: 1240px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 6px; }
h2 { font-size: 16px; margin: 28px 0 8px; }
.setup, .provenance, .note { color: #555; }
.provenance { font-size: 12px; }
.note { font-size: 12px; margin: 6px 0; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
table { font-size: 13px; }
th, td { padding: 5px 6px; border-bottom: 1px solid #e3e3e3; white-space: nowrap; }
thead th { text-align: right; font-weight: 600; border-bottom: 2px solid #bbb; vertical-align: bottom; white-space: normal; }
thead th:first-child, tbody th { text-align: left; }
td { text-align: right; }
td.best { background: #eef6ee; }
td.missing { color: #999; }
td.status { text-align: left; color: #8a1c1c; white-space: normal; }
tr[data-status="pending"] td.status { color: #666; font-style: italic; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
figure { margin: 0; }
svg.chart { max-width: 100%; height: auto; font: 11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
svg .grid { stroke: #ececec; }
svg .axis, svg .tick { stroke: #444; }
svg .tick-label, svg .legend text, svg .point-label { fill: #333; }
svg .axis-label { fill: #222; font-size: 12px; }
svg .empty { fill: #777; font-size: 13px; }
svg .errorbar { stroke-width: 1.5; opacity: 0.7; }
svg .point { stroke: #fff; stroke-width: 1.5; }
pre.error { white-space: pre-wrap; background: #fbf1f1; padding: 8px; margin: 4px 0 0; font-size: 12px; }
code { font-size: 12px; }
.claims table td:last-child, .claims thead th:last-child { text-align: left; white-space: normal; }
`;

export function renderHtml(report: CompareReport): string {
  const names = displayNames(report.methods);
  const table = buildTable(report);
  const title = `lift compare: ${report.model.modelType}`;
  const charts = [lossCurvesChart(report, names), accuracyVsParamsChart(report, names), accuracyVsRetentionChart(report, names)];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>${esc(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<h1>${esc(title)}</h1>`,
    `<p class="setup">${setupSummary(report).map(esc).join(' · ')}</p>`,
    ...[baseSummary(report)].filter((b) => b !== undefined).map((b) => `<p class="base">${esc(b)}</p>`),
    renderClaims(report),
    renderTable(table),
    tableNotes(table),
    ...charts.map(renderChart),
    renderMethods(table),
    `<p class="provenance">${esc(provenance(report))}</p>`,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function renderTable(table: TableModel): string {
  const head = ['<th scope="col">Method</th>', ...table.columns.map((c) => `<th scope="col">${esc(c.header)}</th>`)].join('');
  const rows = table.rows.map((r, i) => {
    const name = `<th scope="row"><span class="swatch" style="background:${seriesStyle(i).color}"></span>${esc(r.name)}</th>`;
    if (r.cells.length === 0) {
      return `<tr data-status="${r.status}">${name}<td class="status" colspan="${table.columns.length}">${esc(r.statusText ?? r.status)}</td></tr>`;
    }
    const cells = r.cells.map((c) =>
      c.missing
        ? `<td class="missing" title="not available">${MISSING}</td>`
        : c.best
          ? `<td class="best"><strong>${esc(c.text)}</strong></td>`
          : `<td>${esc(c.text)}</td>`,
    );
    return `<tr data-status="${r.status}">${name}${cells.join('')}</tr>`;
  });
  return [
    '<div class="table-wrap">',
    '<table id="report-table">',
    `<thead><tr>${head}</tr></thead>`,
    '<tbody>',
    ...rows,
    '</tbody>',
    '</table>',
    '</div>',
  ].join('\n');
}

/** The claims block (LIFT against each baseline), or nothing when LIFT is not in the report. */
function renderClaims(report: CompareReport): string {
  const model = buildClaims(report);
  if (!model) return '';
  const t = claimsTable(model);
  const head = t.header.map((h) => `<th scope="col">${esc(h)}</th>`).join('');
  const rows = t.rows.map(([name, ...cells]) => `<tr><th scope="row">${esc(name!)}</th>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`);
  return [
    '<section class="claims">',
    `<h2>${esc(t.title)}</h2>`,
    '<table id="claims-table">',
    `<thead><tr>${head}</tr></thead>`,
    `<tbody>${rows.join('')}</tbody>`,
    '</table>',
    `<p class="note">${esc(t.note)}</p>`,
    '</section>',
    '<h2>All methods</h2>',
  ].join('\n');
}

function tableNotes(table: TableModel): string {
  const notes: string[] = [];
  if (table.rows.some((r) => r.seeds > 1)) notes.push('mean ± sample std over seeds');
  if (table.rows.some((r) => r.cells.some((c) => c.best))) notes.push('<strong>bold</strong>: best in column');
  if (table.hasMissing) notes.push(`${MISSING}: not available (not measured, or not a finite number)`);
  return notes.length ? `<p class="note">${notes.join('; ')}.</p>` : '';
}

function renderChart(c: Chart): string {
  const notes = c.notes.map((n) => `<p class="note">${esc(n)}</p>`);
  return ['<figure>', `<h2>${esc(c.title)}</h2>`, c.svg, ...notes, '</figure>'].join('\n');
}

function renderMethods(table: TableModel): string {
  const items = table.rows.map((r) => {
    const m = r.method;
    const status = runsSummary(m);
    const method = r.name === m.method ? '' : ` (<code>${esc(m.method)}</code>)`;
    const error = m.error ? `<pre class="error">${esc(m.error)}</pre>` : '';
    return `<li><strong>${esc(r.name)}</strong>${method}, ${esc(status)}: ${esc(formatOptions(m.options))}${error}</li>`;
  });
  return ['<h2>Methods</h2>', '<ul class="methods">', ...items, '</ul>'].join('\n');
}
