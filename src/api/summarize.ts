import { InvalidArgumentError } from '../core/errors.js';
import { METRIC_KEYS, type Metrics, type SeedRun } from './compare-report.js';

/**
 * Mean and sample standard deviation (n − 1) of every metric over the seed runs; std is 0 with
 * one run. A metric that is not finite in any run is NaN in both (written as null): averaging
 * only the seeds that happened to produce a number would report a mean no run measured.
 */
export function summarize(runs: readonly SeedRun[]): { mean: Metrics; std: Metrics } {
  if (runs.length === 0) throw new InvalidArgumentError('summarize needs at least one seed run; got none');
  const mean = {} as Metrics;
  const std = {} as Metrics;
  for (const key of METRIC_KEYS) {
    const values = runs.map((r) => r[key]);
    if (!values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      mean[key] = NaN;
      std[key] = NaN;
      continue;
    }
    const m = values.reduce((a, b) => a + b, 0) / values.length;
    mean[key] = m;
    std[key] = values.length < 2 ? 0 : Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
  }
  return { mean, std };
}
