/**
 * When a finite loss means the run has diverged. A learning rate that destroys the model drives
 * the loss to the level of uniform guessing, ln(vocab), or far beyond it, and it stays there;
 * ordinary fine-tuning noise moves a step's loss by a fraction of where the run started.
 *
 * The limit is relative to the run's first step, so it needs no vocabulary size: 3× the first
 * loss, and at least 2 nats above it (a first loss near 0 would otherwise make any hard batch a
 * divergence). A pretrained model starting at 1.2 stops above 3.6, far below ln(1088) ≈ 7.0 of
 * the bundled model guessing uniformly; a randomly initialised one starting at ln(vocab) ≈ 6.9
 * stops only above 20.8, where its logits have blown up.
 */
export const DIVERGENCE_FACTOR = 3;
export const DIVERGENCE_MARGIN = 2;

/** The loss above which a step counts as diverged, given the loss of the run's first step. */
export function divergenceLimit(firstLoss: number): number {
  return Math.max(DIVERGENCE_FACTOR * firstLoss, firstLoss + DIVERGENCE_MARGIN);
}

/**
 * The limit a step's loss must stay under, from the losses of the steps before it (the first
 * step has nothing to compare with: Infinity).
 */
export function lossLimit(previous: readonly { step: number; loss: number }[]): { limit: number; firstLoss: number } {
  const first = previous[0]?.loss;
  return first === undefined || !Number.isFinite(first) ? { limit: Infinity, firstLoss: NaN } : { limit: divergenceLimit(first), firstLoss: first };
}
