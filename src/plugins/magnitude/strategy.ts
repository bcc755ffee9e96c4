/** Magnitude baseline: the `budget` entries of largest |W| (or smallest, with selection), with no rank reduction. */
import type { MaskContext, MaskStrategy, OptionsFragment, RefreshTiming } from '../../core/contracts.js';
import type { PortableRef } from '../../core/tasks.js';
import { REFRESH_AT_OPTION, SELECTION_OPTION } from '../../core/config/mask-options.js';
import { blockOptions } from '../../core/config/method-options.js';
import { type Selection, checkBudget, matrixShape, topKByMagnitude } from '../../core/linalg/index.js';
import type { Tensor } from '../../core/tensor.js';

const INTERVAL_OPTION = {
  type: 'integer',
  minimum: 0,
  default: 200,
  description: 'Optimizer steps between mask refreshes (when: refreshAt); 0 never refreshes. The recipes use 10-400.',
};

export const MAGNITUDE_OPTIONS: OptionsFragment = Object.freeze({ interval: INTERVAL_OPTION, refreshAt: REFRESH_AT_OPTION, selection: SELECTION_OPTION });

export interface MagnitudeOptions {
  interval: number;
  refreshAt: RefreshTiming;
  selection: Selection;
}

export class MagnitudeStrategy implements MaskStrategy {
  readonly name = 'magnitude';
  readonly refreshInterval: number;
  readonly refreshAt: RefreshTiming;
  readonly selection: Selection;

  constructor(options: Partial<MagnitudeOptions> = {}) {
    const o = blockOptions<MagnitudeOptions>('magnitude', MAGNITUDE_OPTIONS, options);
    this.refreshInterval = o.interval;
    this.refreshAt = o.refreshAt;
    this.selection = o.selection;
  }

  async select(weight: Tensor<'float32'>, budget: number, context: MaskContext): Promise<Int32Array> {
    const [m, n] = matrixShape(weight, context.name);
    return topKByMagnitude(weight.data, checkBudget(budget, m * n, context.name), this.selection);
  }

  /** Rebuilt on a worker thread by createMagnitudeStrategy with the same options. */
  portable(): PortableRef {
    const options: MagnitudeOptions = { interval: this.refreshInterval, refreshAt: this.refreshAt, selection: this.selection };
    return { module: import.meta.url, export: 'createMagnitudeStrategy', options };
  }
}

/** A MagnitudeStrategy from its options (what a worker thread calls to rebuild one). */
export function createMagnitudeStrategy(options: Partial<MagnitudeOptions> = {}): MagnitudeStrategy {
  return new MagnitudeStrategy(options);
}
