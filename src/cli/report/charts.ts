/**
 * The three charts of report.html, each an inline <svg role="img"> with a <title> and an id.
 * Each chart also returns notes: which methods it could not draw and why (pending, failed,
 * values that are missing, not finite, or not positive on a log axis).
 */
import { escapeXml, isValue, truncate } from './format.js';
import { movingAverage, smoothingWindow } from './smooth.js';
import {
  axes,
  el,
  legend,
  linePath,
  linearScale,
  logScale,
  placeLabels,
  plotArea,
  seriesStyle,
  stepDecimals,
  text,
  textWidth,
  type Frame,
  type Scale,
} from './svg.js';
import type { CompareReport, MethodReport, Metrics } from '../../api/compare-report.js';

export interface Chart {
  id: string;
  title: string;
  svg: string;
  notes: string[];
}

const WIDTH = 720;
const HEIGHT = 400;
const FONT = 11;
const LEGEND_CHARS = 24;
const LABEL_CHARS = 24;
/** A percentage axis spans at least 10 points, so differences of a record or two do not fill the plot. */
const MIN_PERCENT_SPAN = 0.1;

function svgRoot(id: string, title: string, frame: Frame, body: string[]): string {
  return el(
    'svg',
    {
      id,
      class: 'chart',
      role: 'img',
      'aria-labelledby': `${id}-title`,
      viewBox: `0 0 ${frame.width} ${frame.height}`,
      width: frame.width,
      height: frame.height,
    },
    [el('title', { id: `${id}-title` }, escapeXml(title)), ...body],
  );
}

/** Drawn instead of axes when a chart has nothing to show, so the chart keeps its place and size. */
function emptyChart(id: string, title: string, message: string, notes: string[]): Chart {
  const frame: Frame = { width: WIDTH, height: 120, left: 0, right: 0, top: 0, bottom: 0 };
  const body = [text(message, { class: 'empty', x: WIDTH / 2, y: 64, 'text-anchor': 'middle' })];
  return { id, title, svg: svgRoot(id, title, frame, body), notes };
}

/** Ticks of a 0..1 quantity, printed as percentages with the decimals the tick step needs. */
function percentFormat(scale: Scale): (v: number) => string {
  const step = scale.ticks.length > 1 ? scale.ticks[1]! - scale.ticks[0]! : 0.1;
  const d = stepDecimals(step * 100);
  return (v) => `${(v * 100).toFixed(d)}%`;
}

function plainFormat(scale: Scale): (v: number) => string {
  const step = scale.ticks.length > 1 ? scale.ticks[1]! - scale.ticks[0]! : 1;
  const d = stepDecimals(step);
  return (v) => v.toFixed(d);
}

/** Log-axis ticks in SI units: 1000 → 1K, 2000000 → 2M. */
function siFormat(v: number): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [size, name] of units) if (v >= size) return `${Number((v / size).toPrecision(3))}${name}`;
  return `${Number(v.toPrecision(3))}`;
}

function notDrawn(m: MethodReport, name: string): string | undefined {
  return m.status === 'done' ? undefined : `${name} (${m.status})`;
}

/** Mean loss over the seeds that logged each step; non-finite losses are skipped and counted. */
function meanCurve(m: MethodReport): { points: { step: number; loss: number }[]; skipped: number } {
  const byStep = new Map<number, { sum: number; n: number }>();
  let skipped = 0;
  for (const r of m.runs ?? []) {
    for (const p of r.lossCurve ?? []) {
      if (!isValue(p.step) || !isValue(p.loss)) {
        skipped++;
        continue;
      }
      const acc = byStep.get(p.step) ?? { sum: 0, n: 0 };
      acc.sum += p.loss;
      acc.n++;
      byStep.set(p.step, acc);
    }
  }
  const points = [...byStep.entries()].sort((a, b) => a[0] - b[0]).map(([step, a]) => ({ step, loss: a.sum / a.n }));
  return { points, skipped };
}

export function lossCurvesChart(report: CompareReport, names: string[]): Chart {
  const id = 'loss-curves';
  const title = 'Training loss by step (mean over seeds; moving average, raw values faint)';
  const notes: string[] = [];
  const curves = report.methods.map((m, i) => ({ i, name: names[i]!, ...meanCurve(m) }));
  for (const c of curves) {
    if (c.skipped > 0) notes.push(`${c.name}: ${c.skipped} non-finite loss value${c.skipped === 1 ? '' : 's'} skipped`);
  }
  const drawn = curves.filter((c) => c.points.length > 0);
  const missing = curves.filter((c) => c.points.length === 0).map((c) => notDrawn(report.methods[c.i]!, c.name) ?? `${c.name} (no loss values)`);
  if (missing.length) notes.push(`No loss curve for: ${missing.join(', ')}`);
  if (drawn.length === 0) return emptyChart(id, title, 'No loss values to plot', notes);

  const legendWidth = Math.min(Math.max(...drawn.map((c) => textWidth(c.name, FONT))), textWidth('x'.repeat(LEGEND_CHARS), FONT));
  const frame: Frame = { width: WIDTH, height: HEIGHT, left: 72, right: legendWidth + 52, top: 16, bottom: 48 };
  const a = plotArea(frame);
  const x = linearScale(drawn.flatMap((c) => c.points.map((p) => p.step)), [a.x0, a.x1], { nice: true, minStep: 1 });
  const y = linearScale(drawn.flatMap((c) => c.points.map((p) => p.loss)), [a.y0, a.y1], { nice: true });
  const window = smoothingWindow(Math.max(...drawn.map((c) => c.points.length)));
  if (window > 1) notes.push(`Bold lines: moving average over ${window} steps; faint lines: the logged losses.`);
  const body = [axes(frame, x, y, { xLabel: 'Step', yLabel: 'Training loss', xFormat: plainFormat(x), yFormat: plainFormat(y) })];
  for (const c of drawn) {
    const s = seriesStyle(c.i);
    const pts = c.points.map((p) => ({ x: x(p.step), y: y(p.loss) }));
    const smooth = movingAverage(c.points, window).map((p) => ({ x: x(p.step), y: y(p.loss) }));
    const series = [el('title', {}, escapeXml(c.name))];
    if (window > 1) series.push(el('path', { class: 'raw', d: linePath(pts), fill: 'none', stroke: s.color, 'stroke-width': 1, 'stroke-opacity': 0.25 }));
    series.push(el('path', { class: 'series', 'data-method': c.name, d: linePath(smooth), fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-dasharray': s.dash }));
    // A path through one point draws nothing; mark it.
    if (pts.length === 1) series.push(el('circle', { class: 'marker', cx: pts[0]!.x, cy: pts[0]!.y, r: 3.5, fill: s.color }));
    body.push(el('g', { class: 'curve' }, series));
  }
  body.push(legend(drawn.map((c) => ({ label: c.name, ...seriesStyle(c.i) })), a.x1 + 16, a.y1 + 8, LEGEND_CHARS));
  return { id, title, svg: svgRoot(id, title, frame, body), notes };
}

interface ScatterSpec {
  id: string;
  title: string;
  x: { key: keyof Metrics; label: string; log?: boolean; percent?: boolean };
  y: { key: keyof Metrics; label: string; percent?: boolean };
}

function scatterChart(report: CompareReport, names: string[], spec: ScatterSpec): Chart {
  const notes: string[] = [];
  const skipped: string[] = [];
  const points: { i: number; name: string; x: number; y: number; sx?: number; sy?: number }[] = [];
  report.methods.forEach((m, i) => {
    const name = names[i]!;
    const why = notDrawn(m, name);
    if (why) return void skipped.push(why);
    const xv = m.mean?.[spec.x.key];
    const yv = m.mean?.[spec.y.key];
    if (!isValue(xv) || !isValue(yv)) return void skipped.push(`${name} (${!isValue(xv) ? spec.x.label : spec.y.label} not available)`);
    if (spec.x.log && xv <= 0) return void skipped.push(`${name} (${spec.x.label} ${xv} cannot be placed on a log axis)`);
    const sx = m.std?.[spec.x.key];
    const sy = m.std?.[spec.y.key];
    points.push({ i, name, x: xv, y: yv, sx: isValue(sx) && sx > 0 ? sx : undefined, sy: isValue(sy) && sy > 0 ? sy : undefined });
  });
  if (skipped.length) notes.push(`Not plotted: ${skipped.join(', ')}`);
  if (points.length === 0) return emptyChart(spec.id, spec.title, 'No methods with values to plot', notes);
  const seeds = Math.max(...points.map((p) => report.methods[p.i]!.runs.length));
  notes.push(seeds > 1 ? 'Points: means over seeds; whiskers: ±1 sample standard deviation.' : 'One seed per method: no error bars (run with --seeds 3 or more for them).');

  const frame: Frame = { width: WIDTH, height: HEIGHT, left: 72, right: 24, top: 16, bottom: 48 };
  const a = plotArea(frame);
  // A retention can pass 100% (the source set got better) but never drop below 0.
  // The axes cover the ±1 std whiskers too (within the clamps), so they are seldom cut.
  const spread = (v: number, sd: number | undefined) => (sd === undefined ? [v] : [v - sd, v, v + sd]);
  const x = spec.x.log
    ? logScale(points.map((p) => p.x), [a.x0, a.x1])
    : linearScale(points.flatMap((p) => spread(p.x, p.sx)), [a.x0, a.x1], spec.x.percent ? { clamp: [0, Infinity], minSpan: MIN_PERCENT_SPAN } : {});
  const y = linearScale(points.flatMap((p) => spread(p.y, p.sy)), [a.y0, a.y1], spec.y.percent ? { clamp: [0, 1], minSpan: MIN_PERCENT_SPAN } : {});
  const xFormat = spec.x.log ? siFormat : spec.x.percent ? percentFormat(x) : plainFormat(x);
  const yFormat = spec.y.percent ? percentFormat(y) : plainFormat(y);
  const body = [axes(frame, x, y, { xLabel: spec.x.label, yLabel: spec.y.label, xFormat, yFormat })];
  const clampX = (v: number) => Math.min(Math.max(v, a.x0), a.x1);
  const clampY = (v: number) => Math.min(Math.max(v, a.y1), a.y0);
  // Long names are cut on the chart (the table and the point's tooltip carry them whole).
  const px = points.map((p) => ({ x: x(p.x), y: y(p.y), text: truncate(p.name, LABEL_CHARS) }));
  const labels = placeLabels(px, a, FONT);
  points.forEach((p, k) => {
    const s = seriesStyle(p.i);
    const { x: cx, y: cy } = px[k]!;
    const parts = [el('title', {}, escapeXml(`${p.name}: ${spec.x.label} ${xFormat(p.x)}, ${spec.y.label} ${yFormat(p.y)}`))];
    // ±1 std whiskers; clipped to the plot so a wide spread cannot draw over the axes.
    if (p.sy !== undefined) parts.push(el('line', { class: 'errorbar', x1: cx, x2: cx, y1: clampY(y(p.y - p.sy)), y2: clampY(y(p.y + p.sy)), stroke: s.color }));
    if (p.sx !== undefined && !spec.x.log) parts.push(el('line', { class: 'errorbar', x1: clampX(x(p.x - p.sx)), x2: clampX(x(p.x + p.sx)), y1: cy, y2: cy, stroke: s.color }));
    parts.push(el('circle', { class: 'point', 'data-method': p.name, cx, cy, r: 5, fill: s.color }));
    const l = labels[k]!;
    parts.push(text(px[k]!.text, { class: 'point-label', x: l.x, y: l.y, 'text-anchor': l.anchor }));
    body.push(el('g', { class: 'datum' }, parts));
  });
  return { id: spec.id, title: spec.title, svg: svgRoot(spec.id, spec.title, frame, body), notes };
}

export function accuracyVsParamsChart(report: CompareReport, names: string[]): Chart {
  return scatterChart(report, names, {
    id: 'acc-vs-params',
    title: 'Target accuracy vs trainable parameters (log scale)',
    x: { key: 'trainableParams', label: 'Trainable parameters', log: true },
    y: { key: 'targetAccuracy', label: 'Target accuracy', percent: true },
  });
}

export function accuracyVsRetentionChart(report: CompareReport, names: string[]): Chart {
  return scatterChart(report, names, {
    id: 'acc-vs-retention',
    title: 'Target accuracy vs source retention',
    x: { key: 'sourceRetention', label: 'Source retention', percent: true },
    y: { key: 'targetAccuracy', label: 'Target accuracy', percent: true },
  });
}
