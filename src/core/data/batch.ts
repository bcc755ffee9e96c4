/**
 * Padding examples into batches. Lengths are rounded up to a bucket so the compiled graphs (one
 * per shape) stay few: a handful of sequence lengths instead of one per batch.
 */
import { InvalidArgumentError } from '../errors.js';
import { tensor, type Tensor } from '../tensor.js';
import { IGNORE_INDEX, type TokenizedExample } from './tokenize.js';

/**
 * How padded lengths are chosen: the next multiple of `multiple`, the next power of two (at
 * least `min`), or the exact longest length in the batch.
 */
export type Bucketing = { kind: 'multiple'; multiple: number } | { kind: 'pow2'; min?: number } | { kind: 'none' };

export const DEFAULT_BUCKETING: Bucketing = { kind: 'multiple', multiple: 16 };

export function bucketLength(length: number, bucketing: Bucketing = DEFAULT_BUCKETING): number {
  if (!Number.isInteger(length) || length < 0) throw new InvalidArgumentError(`length must be an integer >= 0, got ${length}`);
  switch (bucketing.kind) {
    case 'none':
      return length;
    case 'multiple': {
      const m = bucketing.multiple;
      if (!Number.isInteger(m) || m < 1) throw new InvalidArgumentError(`bucket multiple must be an integer >= 1, got ${m}`);
      return Math.max(m, Math.ceil(length / m) * m);
    }
    case 'pow2': {
      let p = Math.max(1, bucketing.min ?? 1);
      while (p < length) p *= 2;
      return p;
    }
  }
}

/**
 * A padded batch, row-major [batch, length], int32 (ONNX Gather takes int32 indices; cast where a
 * graph wants int64). Right padding: pad id in inputIds, 0 in attentionMask, IGNORE_INDEX in labels.
 */
export interface Batch {
  inputIds: Tensor<'int32'>;
  attentionMask: Tensor<'int32'>;
  labels: Tensor<'int32'>;
  /** Dataset indices of the rows. */
  indices: number[];
  /** Real (non-padding) tokens per row. */
  lengths: number[];
  /** Label tokens that count in the loss (not IGNORE_INDEX), over the whole batch. */
  labelTokens: number;
}

export function collate(
  examples: readonly TokenizedExample[],
  padTokenId: number,
  options: { bucketing?: Bucketing; indices?: readonly number[] } = {},
): Batch {
  if (examples.length === 0) throw new InvalidArgumentError('cannot collate an empty batch');
  const longest = Math.max(...examples.map((e) => e.inputIds.length));
  const T = bucketLength(longest, options.bucketing ?? DEFAULT_BUCKETING);
  const B = examples.length;
  const ids = new Int32Array(B * T).fill(padTokenId);
  const mask = new Int32Array(B * T);
  const labels = new Int32Array(B * T).fill(IGNORE_INDEX);
  let labelTokens = 0;
  examples.forEach((e, b) => {
    ids.set(e.inputIds, b * T);
    mask.fill(1, b * T, b * T + e.inputIds.length);
    labels.set(e.labels, b * T);
    for (const l of e.labels) if (l !== IGNORE_INDEX) labelTokens++;
  });
  return {
    inputIds: tensor('int32', [B, T], ids),
    attentionMask: tensor('int32', [B, T], mask),
    labels: tensor('int32', [B, T], labels),
    indices: options.indices ? [...options.indices] : examples.map((_, i) => i),
    lengths: examples.map((e) => e.inputIds.length),
    labelTokens,
  };
}
