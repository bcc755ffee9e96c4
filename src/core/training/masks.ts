/**
 * Masks as core checks them: whatever strategy chose them, a mask is `budget` sorted, distinct,
 * in-range flat indices. Parametrizations that train entries at a mask share these helpers.
 */
import type { DenseOps, MaskStrategy } from '../contracts.js';
import { InvalidArgumentError } from '../errors.js';
import type { Rng } from '../rng.js';
import { tensor } from '../tensor.js';

/** Asks `strategy` for the mask of one weight and checks the answer against the MaskStrategy contract. */
export async function selectMask(
  strategy: MaskStrategy,
  name: string,
  weight: Float32Array,
  rows: number,
  cols: number,
  budget: number,
  ctx: { rng: Rng; step: number; ops?: DenseOps },
): Promise<Int32Array> {
  const idx = await strategy.select(tensor('float32', [rows, cols], weight), budget, { name, ...ctx });
  if (idx.length !== budget) {
    throw new InvalidArgumentError(`strategy '${strategy.name}' returned ${idx.length} indices for '${name}', expected ${budget}`);
  }
  for (let i = 0; i < idx.length; i++) {
    if (idx[i]! < 0 || idx[i]! >= rows * cols || (i > 0 && idx[i]! <= idx[i - 1]!)) {
      throw new InvalidArgumentError(`strategy '${strategy.name}' returned indices for '${name}' that are not sorted, distinct and in range`);
    }
  }
  return idx;
}

/** weight[indices[i]] for every i, as a new vector. */
export function gatherValues(weight: Float32Array, indices: Int32Array): Float32Array {
  const v = new Float32Array(indices.length);
  for (let i = 0; i < indices.length; i++) v[i] = weight[indices[i]!]!;
  return v;
}

/** weight[indices[i]] = values[i] for every i, in place. */
export function scatterValues(weight: Float32Array, indices: Int32Array, values: Float32Array): void {
  for (let i = 0; i < indices.length; i++) weight[indices[i]!] = values[i]!;
}

/** The mask as int64 (what ONNX's Gather and ScatterElements index with), converted once per mask. */
const int64Masks = new WeakMap<Int32Array, BigInt64Array>();
export function indicesInt64(indices: Int32Array): BigInt64Array {
  let out = int64Masks.get(indices);
  if (!out) {
    out = BigInt64Array.from(indices, (i) => BigInt(i));
    int64Masks.set(indices, out);
  }
  return out;
}
