export { maskBudget, DEFAULT_BUDGET_RANK, type BudgetOptions } from './budget.js';
export { topKIndices, topKByMagnitude, sharedCount, type Selection } from './topk.js';
export { exactLowRank } from './exact-low-rank.js';
export { hostDenseOps, hostMatmul } from './host-ops.js';
export { householderQr, type ThinQr } from './qr.js';
export {
  exactSvd,
  randomizedSvd,
  lowRankReconstruction,
  chooseSvd,
  DEFAULT_EXACT_THRESHOLD,
  DEFAULT_OVERSAMPLING,
  DEFAULT_POWER_ITERATIONS,
  type LowRankOptions,
  type RandomizedSvdOptions,
  type SvdChoice,
  type SvdResult,
} from './svd.js';
export { matrixShape, checkBudget } from './mask-args.js';
