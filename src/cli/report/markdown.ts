/**
 * report.md: a title, one line of setup, and the table a person reads in ten seconds. The table
 * is padded into aligned columns because the CLI prints it to a terminal as well.
 */
import { buildClaims, claimsTable } from './claims.js';
import { MISSING, escapeMarkdown, formatOptions } from './format.js';
import { baseSummary, buildTable, provenance, runsSummary, setupSummary, type TableModel } from './table.js';
import type { CompareReport } from '../../api/compare-report.js';

/** The comparison table alone, as GitHub-flavoured Markdown. */
export function formatTable(report: CompareReport): string {
  return renderTable(buildTable(report));
}

export function renderMarkdown(report: CompareReport): string {
  const table = buildTable(report);
  const base = baseSummary(report);
  const lines = [
    `# lift compare: ${escapeMarkdown(report.model.modelType)}`,
    '',
    setupSummary(report).map(escapeMarkdown).join(' · '),
    '',
    ...(base ? [escapeMarkdown(base), ''] : []),
    ...renderClaims(report),
    renderTable(table),
    '',
  ];
  const notes = tableNotes(table);
  if (notes) lines.push(notes, '');
  lines.push('## Methods', '');
  table.rows.forEach((r) => {
    const m = r.method;
    const status = runsSummary(m);
    const method = r.name === m.method ? '' : ` (${escapeMarkdown(m.method)})`;
    lines.push(`- **${escapeMarkdown(r.name)}**${method}, ${status}: ${escapeMarkdown(formatOptions(m.options))}`);
    if (m.error) lines.push(`  - error: ${escapeMarkdown(m.error)}`);
  });
  lines.push('', `_${escapeMarkdown(provenance(report))}_`, '');
  return lines.join('\n');
}

/** The claims block (LIFT against each baseline), or nothing when LIFT is not in the report. */
function renderClaims(report: CompareReport): string[] {
  const model = buildClaims(report);
  if (!model) return [];
  const t = claimsTable(model);
  const row = (cells: string[]) => `| ${cells.map(escapeMarkdown).join(' | ')} |`;
  const rule = `| ${t.header.map((_, j) => (j === 0 || j === t.header.length - 1 ? '---' : '---:')).join(' | ')} |`;
  return [`## ${escapeMarkdown(t.title)}`, '', row(t.header), rule, ...t.rows.map(row), '', `_${escapeMarkdown(t.note)}_`, '', '## All methods', ''];
}

function tableNotes(table: TableModel): string {
  const notes: string[] = [];
  if (table.rows.some((r) => r.seeds > 1)) notes.push('mean ± sample std over seeds');
  if (table.rows.some((r) => r.cells.some((c) => c.best))) notes.push('**bold**: best in column');
  if (table.hasMissing) notes.push(`${MISSING}: not available (not measured, or not a finite number)`);
  return notes.length ? `_${notes.join('; ')}._` : '';
}

function renderTable(table: TableModel): string {
  const header = ['Method', ...table.columns.map((c) => c.header)];
  const rows = table.rows.map((r) => {
    const name = escapeMarkdown(r.name);
    if (r.cells.length === 0) return { status: true, cells: [name, `_${escapeMarkdown(r.statusText ?? r.status)}_`, ...table.columns.slice(1).map(() => '')] };
    return { status: false, cells: [name, ...r.cells.map((c) => (c.best ? `**${c.text}**` : c.text))] };
  });
  // A status ("failed: ...") is long and alone on its row: it overflows its cell rather than
  // widen the whole column.
  const widths = header.map((h, j) =>
    Math.max(3, h.length, ...rows.filter((r) => j === 0 || !r.status).map((r) => r.cells[j]!.length)),
  );
  // Names and statuses read left to right; numbers line up on the right.
  const pad = (s: string, j: number, text: boolean) => (text ? s.padEnd(widths[j]!) : s.padStart(widths[j]!));
  const line = (cells: string[], status = false) =>
    `| ${cells.map((c, j) => pad(c, j, j === 0 || (status && j === 1))).join(' | ')} |`;
  const rule = `| ${widths.map((w, j) => (j === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [line(header), rule, ...rows.map((r) => line(r.cells, r.status))].join('\n');
}
