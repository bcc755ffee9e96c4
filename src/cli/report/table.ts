/**
 * The comparison table as data: which columns, what each cell says, which cells are best.
 * report.md and report.html render this one model, so the two never disagree.
 */
import {
  MISSING,
  formatBytes,
  formatCount,
  formatLoss,
  formatMiB,
  formatPercent,
  formatQuantity,
  isValue,
  joinFormatted,
  truncate,
  type Formatted,
} from './format.js';
import type { CompareReport, MethodReport, Metrics, MethodStatus } from '../../api/compare-report.js';

/** The setup in short plain-text phrases, joined with " · " by the renderers (which escape them). */
export function setupSummary(report: CompareReport): string[] {
  const s = report.settings;
  const d = report.data;
  return [
    `Model ${report.model.modelType} (${joinFormatted(formatCount(report.model.parameters))} parameters, ${report.model.dir})`,
    `${s.steps} steps`,
    s.seeds.length === 1 ? `seed ${s.seeds[0]}` : `seeds ${s.seeds.join(', ')}`,
    `batch ${s.batchSize}`,
    `max length ${s.maxLength}`,
    `train ${d.train}`,
    `test ${d.test} (${d.testRecords} records)`,
    `source ${d.source} (${d.sourceRecords} records)`,
    `${s.backend}/${s.executionProvider}`,
  ];
}

/** Where the methods start from, in one plain-text sentence (absent from older reports). */
export function baseSummary(report: CompareReport): string | undefined {
  const b = report.base;
  if (!b) return undefined;
  const pct = (v: number | null) => (isValue(v) ? `${(v * 100).toFixed(1)}%` : MISSING);
  return `Before fine-tuning, the base model scores ${pct(b.targetAccuracy)} target accuracy and ${pct(b.sourceAccuracy)} source accuracy.`;
}

/** Where and how the report was made, in one plain-text line. */
export function provenance(report: CompareReport): string {
  const m = report.machine;
  return `Created ${report.createdAt} on ${m.platform}, ${m.cpus} CPUs, Node ${m.node}, by: ${shellJoin(report.command)}`;
}

/** The command as a person would type it again: arguments with spaces or quotes get quoted. */
export function shellJoin(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export interface Column {
  key: keyof Metrics;
  header: string;
  better: 'higher' | 'lower';
  format: (mean: number, std?: number) => Formatted;
  /** The same for every seed by construction (a parameter count): a spread of 0 is not shown. */
  seedInvariant?: boolean;
}

export const COLUMNS: readonly Column[] = [
  { key: 'targetAccuracy', header: 'Target acc. (%)', better: 'higher', format: formatPercent },
  { key: 'sourceRetention', header: 'Source retention (%)', better: 'higher', format: formatPercent },
  { key: 'sourceAccuracyAfter', header: 'Source acc. after (%)', better: 'higher', format: formatPercent },
  { key: 'finalTrainLoss', header: 'Final train loss', better: 'lower', format: formatLoss },
  { key: 'trainableParams', header: 'Trainable params', better: 'lower', format: formatCount, seedInvariant: true },
  { key: 'optimizerStateBytes', header: 'Optimizer state', better: 'lower', format: formatBytes, seedInvariant: true },
  { key: 'peakRssBytes', header: 'Peak RSS (MiB)', better: 'lower', format: formatMiB },
  { key: 'wallSeconds', header: 'Wall time (s)', better: 'lower', format: formatQuantity },
  { key: 'tokensPerSecond', header: 'Tokens/s', better: 'higher', format: formatQuantity },
];

export interface Cell {
  text: string;
  /** Best in its column (ties all count); never set when fewer than two distinct values are shown. */
  best: boolean;
  missing: boolean;
}

export interface Row {
  /** Display name, unique within the table. */
  name: string;
  method: MethodReport;
  status: MethodStatus;
  /** For done methods, one cell per column; otherwise none (the status stands in for them). */
  cells: Cell[];
  /** "failed: out of memory" / "pending", for rows without cells. */
  statusText?: string;
  seeds: number;
}

export interface TableModel {
  columns: readonly Column[];
  rows: Row[];
  /** Some cell shows MISSING. */
  hasMissing: boolean;
}

/**
 * What tables, legends and labels call each method: its label, else its name; a name that
 * repeats gets " #2", " #3" so rows and chart points can be told apart.
 */
export function displayNames(methods: readonly MethodReport[]): string[] {
  const base = methods.map((m) => m.label || m.method);
  const total = new Map<string, number>();
  for (const b of base) total.set(b, (total.get(b) ?? 0) + 1);
  const seen = new Map<string, number>();
  return base.map((b) => {
    if (total.get(b) === 1) return b;
    const n = (seen.get(b) ?? 0) + 1;
    seen.set(b, n);
    return `${b} #${n}`;
  });
}

const ERROR_CHARS = 80;

/** "2 runs", or "failed, 0 runs" for a method that did not finish. */
export function runsSummary(m: MethodReport): string {
  const n = m.runs?.length ?? 0;
  const runs = n === 1 ? '1 run' : `${n} runs`;
  return m.status === 'done' ? runs : `${m.status}, ${runs}`;
}

export function buildTable(report: CompareReport): TableModel {
  const names = displayNames(report.methods);
  // Best is judged on the shown mean, so two values that read the same are both bold.
  const shownMean = (m: MethodReport, c: Column): string | undefined => {
    const v = m.status === 'done' ? m.mean?.[c.key] : undefined;
    return isValue(v) ? c.format(v).mean : undefined;
  };
  const best = COLUMNS.map((c) => {
    const candidates = report.methods
      .map((m) => ({ shown: shownMean(m, c), value: m.mean?.[c.key] }))
      .filter((x): x is { shown: string; value: number } => x.shown !== undefined);
    // Bold needs something to stand out from: two values at least, not all reading the same.
    if (new Set(candidates.map((x) => x.shown)).size < 2) return undefined;
    const pick = c.better === 'higher' ? Math.max : Math.min;
    const target = pick(...candidates.map((x) => x.value));
    return candidates.find((x) => x.value === target)!.shown;
  });

  let hasMissing = false;
  const rows = report.methods.map((m, i): Row => {
    const seeds = m.runs?.length ?? 0;
    if (m.status !== 'done') {
      const statusText =
        m.status === 'failed' ? `failed: ${truncate((m.error ?? 'no error recorded').replace(/\s+/g, ' ').trim(), ERROR_CHARS)}` : m.status;
      return { name: names[i]!, method: m, status: m.status, cells: [], statusText, seeds };
    }
    const cells = COLUMNS.map((c, j): Cell => {
      const mean = m.mean?.[c.key];
      if (!isValue(mean)) {
        hasMissing = true;
        return { text: MISSING, best: false, missing: true };
      }
      const sd = m.std?.[c.key];
      const showSpread = seeds > 1 && isValue(sd) && !(c.seedInvariant && sd === 0);
      const f = c.format(mean, showSpread ? sd : undefined);
      return { text: joinFormatted(f), best: best[j] !== undefined && f.mean === best[j], missing: false };
    });
    return { name: names[i]!, method: m, status: m.status, cells, seeds };
  });
  return { columns: COLUMNS, rows, hasMissing };
}
