/**
 * Seeded epoch iteration over tokenized examples, resumable from a saved (epoch, index).
 * Each epoch's order is a pure function of (seed, epoch), so a position is all a checkpoint needs.
 */
import { InvalidArgumentError } from '../errors.js';
import { Rng } from '../rng.js';
import { collate, DEFAULT_BUCKETING, type Batch, type Bucketing } from './batch.js';
import type { TokenizedExample } from './tokenize.js';

export interface DataLoaderOptions {
  batchSize: number;
  seed: number;
  /** Shuffle each epoch (default true); false keeps dataset order. */
  shuffle?: boolean;
  bucketing?: Bucketing;
  /** Drop a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
  /**
   * Group similar lengths to cut padding, as Hugging Face's group_by_length: shuffle, cut into
   * mega-batches of `groupByLength` batches, sort each by length (longest first).
   * 0 or absent: off.
   */
  groupByLength?: number;
}

/**
 * Where the loader is: the next batch to produce is batch `index` of epoch `epoch` (both from 0);
 * `index` is always below batchesPerEpoch.
 */
export interface LoaderPosition {
  epoch: number;
  index: number;
}

export class SftDataLoader {
  private readonly opts: Required<DataLoaderOptions>;
  private pos: LoaderPosition = { epoch: 0, index: 0 };
  private plan: { epoch: number; batches: number[][] } | null = null;

  constructor(
    private readonly examples: readonly TokenizedExample[],
    private readonly padTokenId: number,
    options: DataLoaderOptions,
  ) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new InvalidArgumentError(`batchSize must be an integer >= 1, got ${options.batchSize}`);
    }
    this.opts = {
      shuffle: true,
      bucketing: DEFAULT_BUCKETING,
      dropLast: false,
      groupByLength: 0,
      ...options,
    };
    if (this.batchesPerEpoch === 0) {
      throw new InvalidArgumentError(
        `${examples.length} examples make no batch of ${options.batchSize}${this.opts.dropLast ? ' with dropLast' : ''}`,
      );
    }
  }

  get batchesPerEpoch(): number {
    const n = this.examples.length / this.opts.batchSize;
    return this.opts.dropLast ? Math.floor(n) : Math.ceil(n);
  }

  get position(): LoaderPosition {
    return { ...this.pos };
  }

  /** Moves to a saved position (what `position` returned), e.g. when resuming a run. */
  seek(position: LoaderPosition): void {
    const { epoch, index } = position;
    if (!Number.isInteger(epoch) || epoch < 0 || !Number.isInteger(index) || index < 0 || index > this.batchesPerEpoch) {
      throw new InvalidArgumentError(
        `loader position {epoch: ${epoch}, index: ${index}} is outside 0..${this.batchesPerEpoch} batches per epoch`,
      );
    }
    this.pos = this.normalize({ epoch, index });
  }

  /** Dataset indices of each batch of an epoch. */
  epochBatches(epoch: number): number[][] {
    if (this.plan?.epoch === epoch) return this.plan.batches;
    const n = this.examples.length;
    let order = Array.from({ length: n }, (_, i) => i);
    if (this.opts.shuffle) {
      // Epoch e uses the (e+1)-th fork of the seed's stream: independent epochs, no saved state.
      const base = new Rng(this.opts.seed);
      let rng = base.fork();
      for (let e = 0; e < epoch; e++) rng = base.fork();
      rng.shuffle(order);
    }
    const bs = this.opts.batchSize;
    if (this.opts.groupByLength > 0) {
      const mega = bs * this.opts.groupByLength;
      const grouped: number[] = [];
      for (let s = 0; s < n; s += mega) {
        const chunk = order.slice(s, s + mega);
        // Stable sort: equal lengths keep their shuffled order.
        chunk.sort((a, b) => this.examples[b]!.inputIds.length - this.examples[a]!.inputIds.length);
        grouped.push(...chunk);
      }
      order = grouped;
    }
    const batches: number[][] = [];
    for (let s = 0; s < n; s += bs) {
      const b = order.slice(s, s + bs);
      if (b.length < bs && this.opts.dropLast) break;
      batches.push(b);
    }
    this.plan = { epoch, batches };
    return batches;
  }

  /** The batch at the current position; advances, rolling over to the next epoch. */
  next(): Batch {
    const indices = this.epochBatches(this.pos.epoch)[this.pos.index]!;
    this.pos = this.normalize({ epoch: this.pos.epoch, index: this.pos.index + 1 });
    return collate(
      indices.map((i) => this.examples[i]!),
      this.padTokenId,
      { bucketing: this.opts.bucketing, indices },
    );
  }

  /** The remaining batches of the current epoch. */
  *epoch(): Generator<Batch> {
    const e = this.pos.epoch;
    while (this.pos.epoch === e) yield this.next();
  }

  /** The end of an epoch is the start of the next, so a position always names the next batch. */
  private normalize(p: LoaderPosition): LoaderPosition {
    return p.index >= this.batchesPerEpoch ? { epoch: p.epoch + 1, index: 0 } : p;
  }
}
