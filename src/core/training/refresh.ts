/**
 * When a mask refresh falls: the one decision the built-in trainer and HostTuner share.
 *
 * With refresh interval I (strategy.refreshInterval; 0 or unset never refreshes), after optimizer
 * step t (counted from 1):
 * - 'multiple' (default): t % I == 0, i.e. after steps I, 2I, ...;
 * - 'reference': (t + 1) % I == 0, i.e. after steps I−1, 2I−1, ..., as the authors' SparseAdamW
 *   does (it tests `(total_step + 1) % update_proj_gap == 0` after incrementing total_step).
 *
 * A refresh due after the last step (t == totalSteps) is skipped: the weights are final, so a new
 * mask would change nothing the run produces (merged model, adapter values) and would only cost a
 * mask computation and leave a checkpoint whose mask never trained. The reference does that
 * refresh, with the same lack of effect on its saved model.
 */
import type { MaskStrategy } from '../contracts.js';

/** Whether masks refresh after optimizer step `step` (1-based) of a run of `totalSteps` (unknown: undefined). */
export function refreshDue(strategy: MaskStrategy | undefined, step: number, totalSteps?: number): boolean {
  const interval = strategy?.refreshInterval ?? 0;
  if (!(interval > 0) || step < 1) return false;
  if (totalSteps !== undefined && step >= totalSteps) return false;
  const at = strategy?.refreshAt ?? 'multiple';
  return (at === 'reference' ? step + 1 : step) % interval === 0;
}
