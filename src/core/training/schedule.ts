/**
 * Learning-rate schedules with linear warm-up, as Hugging Face's get_*_schedule_with_warmup:
 * the factor for optimizer step s (0-based) is s/warmup during warm-up, then decays to 0 at the
 * last step (linear) or follows half a cosine (cosine).
 */
export type ScheduleType = 'linear' | 'cosine' | 'constant';

export function warmupSteps(totalSteps: number, warmupRatio: number): number {
  return Math.ceil(totalSteps * warmupRatio);
}

export function learningRate(peak: number, step: number, totalSteps: number, type: ScheduleType, warmupRatio: number): number {
  const warmup = warmupSteps(totalSteps, warmupRatio);
  if (step < warmup) return (peak * step) / Math.max(1, warmup);
  if (type === 'constant') return peak;
  const progress = (step - warmup) / Math.max(1, totalSteps - warmup);
  if (type === 'linear') return peak * Math.max(0, 1 - progress);
  return peak * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}
