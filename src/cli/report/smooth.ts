/**
 * Smoothing of a training-loss curve for the report: a trailing moving average, so a curve that
 * jumps from batch to batch still shows its trend (the raw values are drawn faintly behind it).
 */

export interface CurvePoint {
  step: number;
  loss: number;
}

/** The window a curve of `n` points is smoothed over: about a twentieth of the run, at least 1. */
export function smoothingWindow(n: number): number {
  return Math.max(1, Math.round(n / 20));
}

/**
 * Each point's loss replaced by the mean of it and the `window − 1` points before it (fewer at
 * the start, where the run has fewer). Steps are kept; a window of 1 returns the curve as it is.
 */
export function movingAverage(points: readonly CurvePoint[], window: number): CurvePoint[] {
  const w = Math.max(1, Math.floor(window));
  let sum = 0;
  return points.map((p, i) => {
    sum += p.loss;
    if (i >= w) sum -= points[i - w]!.loss;
    return { step: p.step, loss: sum / Math.min(i + 1, w) };
  });
}
