/**
 * The report `lift compare` writes: report.json (the data, schema in schema.ts and
 * docs/report-schema.md), report.md (the table) and report.html (table and charts).
 */
export type { CompareReport, LossPoint, MethodReport, MethodStatus, Metrics, SeedRun } from '../../api/compare-report.js';
export { METRIC_KEYS } from '../../api/compare-report.js';
export { summarize } from '../../api/summarize.js';
export { ReportValidationError, assertValidReport, reportSchema, validateReport, type ReportViolation } from './schema.js';
export { formatTable, renderMarkdown } from './markdown.js';
export { renderHtml } from './html.js';
export {
  REPORT_FILES,
  ReportWriter,
  readReport,
  renderReportFiles,
  writeReport,
  type ReportFiles,
  type WriteReportOptions,
} from './write.js';
