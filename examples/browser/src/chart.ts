/** The loss chart: one SVG polyline over the steps so far, scaled to the range seen, with its bounds labelled. */
const W = 600;
const H = 200;
const PAD = 28;
const SVG = 'http://www.w3.org/2000/svg';

export function drawLossChart(svg: SVGSVGElement, losses: readonly number[]): void {
  svg.replaceChildren();
  if (losses.length === 0) return;
  const lo = Math.min(...losses);
  const hi = Math.max(...losses);
  const span = hi - lo || 1;
  const x = (i: number) => PAD + (losses.length === 1 ? 0 : (i / (losses.length - 1)) * (W - 2 * PAD));
  const y = (v: number) => H - PAD - ((v - lo) / span) * (H - 2 * PAD);
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', losses.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' '));
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', '#2f6fde');
  line.setAttribute('stroke-width', '2');
  line.setAttribute('vector-effect', 'non-scaling-stroke');
  svg.append(line);
  for (const [value, at] of [
    [hi, PAD - 8],
    [lo, H - PAD + 16],
  ] as const) {
    const label = document.createElementNS(SVG, 'text');
    label.setAttribute('x', '4');
    label.setAttribute('y', String(at));
    label.setAttribute('font-size', '12');
    label.setAttribute('fill', '#555');
    label.textContent = value.toFixed(4);
    svg.append(label);
  }
  const steps = document.createElementNS(SVG, 'text');
  steps.setAttribute('x', String(W - PAD));
  steps.setAttribute('y', String(H - 6));
  steps.setAttribute('font-size', '12');
  steps.setAttribute('text-anchor', 'end');
  steps.setAttribute('fill', '#555');
  steps.textContent = `step ${losses.length}`;
  svg.append(steps);
}
