/**
 * Chart primitives for static, inline SVG: scales, ticks, axes, legend, label placement.
 * No scripts and no measuring in a browser, so text widths are estimated; coordinates are
 * rounded so the same data always gives the same bytes.
 */
import { escapeXml, truncate } from './format.js';

export type Attrs = Record<string, string | number | undefined>;

/** One element; attribute values are escaped, `children` must already be SVG markup. */
export function el(tag: string, attrs: Attrs, children: string | string[] = ''): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(typeof v === 'number' ? num(v) : v!)}"`)
    .join('');
  const body = Array.isArray(children) ? children.join('') : children;
  return body === '' && tag !== 'text' && tag !== 'title' ? `<${tag}${a}/>` : `<${tag}${a}>${body}</${tag}>`;
}

/** A text element whose content is escaped. */
export function text(content: string, attrs: Attrs): string {
  return el('text', attrs, escapeXml(content));
}

/** A coordinate with at most two decimals, without a trailing ".00" or a "-0". */
export function num(v: number): string {
  const s = (Math.round(v * 100) / 100).toString();
  return s === '-0' ? '0' : s;
}

/** Colours told apart by most colour-blind readers (Okabe–Ito, without the yellow). */
const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#d55e00', '#cc79a7', '#56b4e9', '#000000', '#8c8c8c'];
const DASHES = [undefined, '6 3', '2 2', '8 3 2 3'];

/** Colour and dash of the i-th method; dashes start once the colours run out. */
export function seriesStyle(i: number): { color: string; dash?: string } {
  return { color: PALETTE[i % PALETTE.length]!, dash: DASHES[Math.floor(i / PALETTE.length) % DASHES.length] };
}

/** Estimated width of a string in the charts' sans-serif face. */
export function textWidth(s: string, fontSize: number): number {
  return [...s].length * fontSize * 0.6;
}

export interface Scale {
  (v: number): number;
  domain: [number, number];
  range: [number, number];
  ticks: number[];
}

function makeScale(domain: [number, number], range: [number, number], ticks: number[], t: (v: number) => number): Scale {
  const [t0, t1] = [t(domain[0]), t(domain[1])];
  const f = ((v: number) => range[0] + ((t(v) - t0) / (t1 - t0)) * (range[1] - range[0])) as Scale;
  f.domain = domain;
  f.range = range;
  f.ticks = ticks;
  return f;
}

/** A 1, 2 or 5 times a power of ten near `raw`. */
function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/** Decimals needed to print multiples of `step` exactly. */
export function stepDecimals(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

export interface LinearOptions {
  /** Extend the domain out to whole ticks (loss axes) rather than pad it by a fraction (scatter axes). */
  nice?: boolean;
  /** Values the axis may not leave, e.g. [0, 1] for an accuracy. */
  clamp?: [number, number];
  /** Smallest tick step: 1 keeps a step axis on whole steps. */
  minStep?: number;
  /**
   * Smallest span of the axis, e.g. 0.1 (10 points) for an accuracy: values that differ by less
   * than noise are drawn close together instead of being stretched across the whole plot.
   */
  minSpan?: number;
}

/**
 * A linear scale over `values`. One distinct value still gets an axis: it is widened around the
 * value (by 10% of it, or by 1 at zero) so the point sits in the middle, not on a zero-width axis.
 */
export function linearScale(values: number[], range: [number, number], opts: LinearOptions = {}): Scale {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!(hi > lo)) {
    const pad = Math.abs(lo) * 0.1 || 1;
    lo -= pad;
    hi += pad;
  } else if (!opts.nice) {
    const pad = (hi - lo) * 0.08;
    lo -= pad;
    hi += pad;
  }
  if (opts.minSpan !== undefined && hi - lo < opts.minSpan) {
    const grow = (opts.minSpan - (hi - lo)) / 2;
    lo -= grow;
    hi += grow;
    // Kept inside the clamp by sliding, so the span stays whole where it can.
    if (opts.clamp && lo < opts.clamp[0]) [lo, hi] = [opts.clamp[0], Math.min(opts.clamp[0] + opts.minSpan, opts.clamp[1])];
    if (opts.clamp && hi > opts.clamp[1]) [lo, hi] = [Math.max(opts.clamp[1] - opts.minSpan, opts.clamp[0]), opts.clamp[1]];
  }
  if (opts.clamp) {
    lo = Math.max(lo, opts.clamp[0]);
    hi = Math.min(hi, opts.clamp[1]);
  }
  const step = Math.max(niceStep((hi - lo) / 5), opts.minStep ?? 0);
  if (opts.nice) {
    lo = Math.floor(lo / step + 1e-9) * step;
    hi = Math.ceil(hi / step - 1e-9) * step;
  }
  const d = stepDecimals(step);
  const ticks: number[] = [];
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) ticks.push(Number((i * step).toFixed(d)));
  return makeScale([lo, hi], range, ticks, (v) => v);
}

/**
 * A log10 scale over positive `values`, spanning at least one decade so a single point or a
 * narrow cluster still gets labelled ticks (1, 2, 5 per decade while the span is short).
 */
export function logScale(values: number[], range: [number, number]): Scale {
  let l = Math.log10(Math.min(...values));
  let h = Math.log10(Math.max(...values));
  if (h - l < 1) {
    const mid = (l + h) / 2;
    l = mid - 0.5;
    h = mid + 0.5;
  }
  const pad = (h - l) * 0.08;
  l -= pad;
  h += pad;
  const multipliers = h - l <= 3 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let e = Math.floor(l); e <= Math.ceil(h); e++) {
    for (const m of multipliers) {
      const v = m * 10 ** e;
      if (Math.log10(v) >= l - 1e-9 && Math.log10(v) <= h + 1e-9) ticks.push(Number(v.toPrecision(12)));
    }
  }
  return makeScale([10 ** l, 10 ** h], range, ticks, Math.log10);
}

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** The plot area inside the margins. */
export function plotArea(f: Frame): { x0: number; x1: number; y0: number; y1: number } {
  return { x0: f.left, x1: f.width - f.right, y0: f.height - f.bottom, y1: f.top };
}

export interface AxisOptions {
  xLabel: string;
  yLabel: string;
  xFormat: (v: number) => string;
  yFormat: (v: number) => string;
}

/** Grid, both axes with ticks and tick labels, and the axis titles. */
export function axes(frame: Frame, x: Scale, y: Scale, o: AxisOptions): string {
  const a = plotArea(frame);
  const parts: string[] = [];
  for (const t of x.ticks) {
    const px = x(t);
    parts.push(el('line', { class: 'grid', x1: px, x2: px, y1: a.y0, y2: a.y1 }));
    parts.push(el('line', { class: 'tick', x1: px, x2: px, y1: a.y0, y2: a.y0 + 5 }));
    parts.push(text(o.xFormat(t), { class: 'tick-label', x: px, y: a.y0 + 18, 'text-anchor': 'middle' }));
  }
  for (const t of y.ticks) {
    const py = y(t);
    parts.push(el('line', { class: 'grid', x1: a.x0, x2: a.x1, y1: py, y2: py }));
    parts.push(el('line', { class: 'tick', x1: a.x0 - 5, x2: a.x0, y1: py, y2: py }));
    parts.push(text(o.yFormat(t), { class: 'tick-label', x: a.x0 - 8, y: py + 4, 'text-anchor': 'end' }));
  }
  parts.push(el('line', { class: 'axis', x1: a.x0, x2: a.x1, y1: a.y0, y2: a.y0 }));
  parts.push(el('line', { class: 'axis', x1: a.x0, x2: a.x0, y1: a.y0, y2: a.y1 }));
  parts.push(text(o.xLabel, { class: 'axis-label', x: (a.x0 + a.x1) / 2, y: frame.height - 8, 'text-anchor': 'middle' }));
  const cy = (a.y0 + a.y1) / 2;
  parts.push(text(o.yLabel, { class: 'axis-label', x: 16, y: cy, 'text-anchor': 'middle', transform: `rotate(-90 16 ${num(cy)})` }));
  return el('g', { class: 'axes' }, parts);
}

/** The path through the points, in order; a lone point is drawn by the caller as a marker. */
export function linePath(points: { x: number; y: number }[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${num(p.x)} ${num(p.y)}`).join(' ');
}

export interface LegendItem {
  label: string;
  color: string;
  dash?: string;
}

/** A vertical legend: a short line in the series' colour and dash, then the label. */
export function legend(items: LegendItem[], x: number, y: number, maxChars: number): string {
  return el(
    'g',
    { class: 'legend' },
    items.map((it, i) => {
      const cy = y + i * 18;
      const shown = truncate(it.label, maxChars);
      return el('g', { class: 'legend-item' }, [
        shown === it.label ? '' : el('title', {}, escapeXml(it.label)),
        el('line', { x1: x, x2: x + 22, y1: cy, y2: cy, stroke: it.color, 'stroke-width': 2.5, 'stroke-dasharray': it.dash }),
        text(shown, { x: x + 28, y: cy + 4 }),
      ]);
    }),
  );
}

export interface PointLabel {
  x: number;
  y: number;
  text: string;
}

export interface PlacedLabel {
  x: number;
  y: number;
  anchor: 'start' | 'end';
}

/**
 * Places each point's label beside it, right of the point unless that runs past the plot, and
 * pushes a label down (then up) while it overlaps one already placed, so close points stay legible.
 */
export function placeLabels(points: PointLabel[], area: { x0: number; x1: number; y0: number; y1: number }, fontSize: number): PlacedLabel[] {
  const h = fontSize + 2;
  const placed: { box: [number, number, number, number]; at: PlacedLabel }[] = [];
  const order = points.map((p, i) => i).sort((a, b) => points[a]!.y - points[b]!.y || a - b);
  const result: PlacedLabel[] = new Array(points.length);
  for (const i of order) {
    const p = points[i]!;
    const w = textWidth(p.text, fontSize);
    const anchor: 'start' | 'end' = p.x + 7 + w > area.x1 && p.x - 7 - w >= area.x0 ? 'end' : 'start';
    const bx0 = anchor === 'start' ? p.x + 7 : p.x - 7 - w;
    const overlaps = (y: number) => placed.some(({ box }) => bx0 < box[2] && bx0 + w > box[0] && y - h < box[3] && y > box[1]);
    // Just above the point's centre line, clear of a horizontal whisker through it.
    const base = p.y - 4;
    let y = base;
    for (let k = 1; overlaps(y) && k <= 2 * points.length; k++) {
      const off = Math.ceil(k / 2) * h * (k % 2 === 1 ? 1 : -1);
      y = Math.min(Math.max(base + off, area.y1 + fontSize), area.y0 - 2);
    }
    const at = { x: anchor === 'start' ? p.x + 7 : p.x - 7, y, anchor };
    placed.push({ box: [bx0, y - h, bx0 + w, y], at });
    result[i] = at;
  }
  return result;
}
