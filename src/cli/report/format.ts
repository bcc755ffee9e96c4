/**
 * Number formatting and escaping shared by the Markdown and HTML renderers. Nothing here uses
 * toLocaleString or Intl: the same report must render to the same bytes on every machine.
 */

/** A value a renderer can show: null (how JSON stores NaN), NaN and ±Infinity are "not available". */
export function isValue(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/** Shown where a value is not available. */
export const MISSING = '—';

/** Escapes text for HTML/SVG element content and quoted attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * Escapes text for a Markdown table cell: characters that would start markup, raw HTML or a
 * new cell are backslash-escaped, and line breaks (which would end the row) become spaces.
 */
export function escapeMarkdown(s: string): string {
  return s.replace(/\r\n|\r|\n/g, ' ').replace(/[\\`*_[\]<>|&#]/g, (c) => `\\${c}`);
}

/** Cuts `s` to at most `max` characters, marking the cut with an ellipsis. */
export function truncate(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

function fixed(x: number, decimals: number): string {
  const s = x.toFixed(decimals);
  // toFixed keeps the sign of a negative value that rounds to zero ("-0.0").
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** Decimals that keep about three significant digits for values of this size. */
function adaptiveDecimals(x: number): number {
  const a = Math.abs(x);
  return a >= 100 ? 0 : a >= 10 ? 1 : 2;
}

/** A value and, when given, its spread in the same unit and precision: "62.5 ± 1.2". */
export interface Formatted {
  mean: string;
  std?: string;
  /** Appended after both, separator included: "M", " MiB". */
  unit?: string;
}

export function joinFormatted(f: Formatted): string {
  const body = f.std === undefined ? f.mean : `${f.mean} ± ${f.std}`;
  return body + (f.unit ?? '');
}

/** 0..1 as a percentage with one decimal: 0.625 → "62.5". */
export function formatPercent(mean: number, std?: number): Formatted {
  return { mean: fixed(mean * 100, 1), std: std === undefined ? undefined : fixed(std * 100, 1) };
}

export function formatLoss(mean: number, std?: number): Formatted {
  // Three decimals read well for the losses a language model reports; tiny ones need exponents.
  const f = (x: number) => (x !== 0 && Math.abs(x) < 0.001 ? x.toExponential(1) : fixed(x, 3));
  return { mean: f(mean), std: std === undefined ? undefined : f(std) };
}

/** A plain quantity with about three significant digits; std gets the mean's decimals. */
export function formatQuantity(mean: number, std?: number): Formatted {
  const d = adaptiveDecimals(mean);
  return { mean: fixed(mean, d), std: std === undefined ? undefined : fixed(std, d) };
}

interface Unit {
  /** With its separator: "M", " MiB". */
  name: string;
  size: number;
}

const COUNT_UNITS: Unit[] = [
  { name: '', size: 1 },
  { name: 'K', size: 1e3 },
  { name: 'M', size: 1e6 },
  { name: 'B', size: 1e9 },
  { name: 'T', size: 1e12 },
];

const BYTE_UNITS: Unit[] = [
  { name: ' B', size: 1 },
  { name: ' KiB', size: 1024 },
  { name: ' MiB', size: 1024 ** 2 },
  { name: ' GiB', size: 1024 ** 3 },
  { name: ' TiB', size: 1024 ** 4 },
];

function withUnit(units: Unit[], mean: number, std: number | undefined): Formatted {
  const a = Math.abs(mean);
  let i = 0;
  while (i + 1 < units.length && a >= units[i + 1]!.size) i++;
  // The base unit counts whole things; larger ones keep one decimal below 100 ("1.2M", "123M").
  const dec = (u: number) => (u === 0 || Number(fixed(a / units[u]!.size, 1)) >= 100 ? 0 : 1);
  // 999_960 would print as "1000.0K"; once rounded it belongs to the next unit.
  if (i + 1 < units.length && Number(fixed(a / units[i]!.size, dec(i))) >= 1000) i++;
  const u = units[i]!;
  const d = dec(i);
  return { mean: fixed(mean / u.size, d), std: std === undefined ? undefined : fixed(std / u.size, d), unit: u.name };
}

/** Counts in SI units: 1234567 → "1.2M". */
export function formatCount(mean: number, std?: number): Formatted {
  return withUnit(COUNT_UNITS, mean, std);
}

/** Byte sizes in binary units: 1572864 → "1.5 MiB". */
export function formatBytes(mean: number, std?: number): Formatted {
  return withUnit(BYTE_UNITS, mean, std);
}

/** Bytes as whole MiB, for a column whose header carries the unit. */
export function formatMiB(mean: number, std?: number): Formatted {
  return formatQuantity(mean / 1024 ** 2, std === undefined ? undefined : std / 1024 ** 2);
}

/** A short, deterministic rendering of an option value: numbers as JS prints them, strings bare. */
export function formatOptionValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return 'undefined';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s;
}

/** "lr 0.0002, rank 128" in the options' own key order (the order the method declared them). */
export function formatOptions(options: Record<string, unknown>): string {
  const entries = Object.entries(options ?? {});
  return entries.length === 0 ? 'defaults' : entries.map(([k, v]) => `${k} ${formatOptionValue(v)}`).join(', ');
}
