/**
 * Carrying per-entry optimizer state across a mask refresh. Both index lists are sorted, so one
 * two-pointer pass pairs up the entries present in both: O(k_old + k_new), no hash maps.
 */
import { InvalidArgumentError } from '../errors.js';

/**
 * State for `newIndices`: the value an entry had under `oldIndices` when it is in both, 0 when new.
 * Entries only in `oldIndices` are dropped.
 */
export function remapValues(values: Float32Array, oldIndices: Int32Array, newIndices: Int32Array): Float32Array {
  const out = new Float32Array(newIndices.length);
  let i = 0;
  for (let j = 0; j < newIndices.length; j++) {
    const target = newIndices[j]!;
    while (i < oldIndices.length && oldIndices[i]! < target) i++;
    if (i < oldIndices.length && oldIndices[i] === target) out[j] = values[i]!;
  }
  return out;
}

/** Throws unless `indices` is strictly increasing and non-negative (what a mask is). */
export function checkMaskIndices(field: string, indices: Int32Array): void {
  for (let i = 0; i < indices.length; i++) {
    if (indices[i]! < 0 || (i > 0 && indices[i]! <= indices[i - 1]!)) {
      throw new InvalidArgumentError(`${field} must be sorted ascending, distinct and non-negative; position ${i} holds ${indices[i]}`, {
        field,
        position: i,
      });
    }
  }
}
