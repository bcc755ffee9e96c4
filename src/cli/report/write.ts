/**
 * Writes report.json, report.md and report.html into an output folder, each atomically.
 *
 * Overwrite rule: a folder that already holds a report.json belongs to an earlier run and is
 * refused unless `force` is set. A compare run writes its report many times (after each
 * finished method, later ones still pending, so an interrupted run leaves its finished methods
 * readable); it does so through one ReportWriter, which checks the folder once, when opened,
 * and may then rewrite its own report freely. Opening the writer before training starts makes
 * an occupied folder fail at once rather than after the first method has trained.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { FileFormatError, LiftError } from '../../core/errors.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { assertValidReport } from './schema.js';
import type { CompareReport } from '../../api/compare-report.js';

export const REPORT_FILES = { json: 'report.json', md: 'report.md', html: 'report.html' } as const;

export interface WriteReportOptions {
  /** Overwrite a report already in the folder. */
  force?: boolean;
}

export interface ReportFiles {
  json: string;
  md: string;
  html: string;
}

/**
 * The three files' contents. Everything is rendered from report.json as it will be read back
 * (NaN and Infinity become null there), so rendering a report in memory and rendering it
 * after loading report.json give the same bytes. Throws ReportValidationError for a report
 * that does not match the schema.
 */
export function renderReportFiles(report: CompareReport): ReportFiles {
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const stored = JSON.parse(json) as CompareReport;
  assertValidReport(stored);
  return { json, md: renderMarkdown(stored), html: renderHtml(stored) };
}

/** Writes one compare run's report into one folder, as many times as the run needs. */
export class ReportWriter {
  private constructor(readonly outDir: string) {}

  /** Claims `outDir`, refusing one that holds a report unless `force`; writes nothing. */
  static open(outDir: string, options: WriteReportOptions = {}): ReportWriter {
    const existing = join(outDir, REPORT_FILES.json);
    if (!options.force && existsSync(existing)) {
      throw new LiftError('E_OUTPUT_EXISTS', `${outDir} already holds a report (report.json); pass --force to overwrite`, {
        outDir,
        file: existing,
      });
    }
    return new ReportWriter(outDir);
  }

  /**
   * Renders and validates all three files before touching the folder, so an invalid report
   * writes nothing. report.json goes last: it is what marks the folder as holding a report.
   */
  write(report: CompareReport): ReportFiles {
    const files = renderReportFiles(report);
    writeFileAtomic(join(this.outDir, REPORT_FILES.md), files.md);
    writeFileAtomic(join(this.outDir, REPORT_FILES.html), files.html);
    writeFileAtomic(join(this.outDir, REPORT_FILES.json), files.json);
    return files;
  }
}

/** Opens `outDir` and writes `report` once; for repeated writes by one run, use ReportWriter. */
export function writeReport(outDir: string, report: CompareReport, options: WriteReportOptions = {}): ReportFiles {
  return ReportWriter.open(outDir, options).write(report);
}

/** Reads and validates a report.json (to re-render it, or to compare runs). */
export function readReport(file: string): CompareReport {
  let obj: unknown;
  try {
    obj = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FileFormatError('E_DATA', file, `cannot read a report: ${(e as Error).message}`);
  }
  assertValidReport(obj, file);
  return obj as CompareReport;
}
