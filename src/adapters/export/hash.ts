/**
 * A fingerprint of base-model weights that exports carry, so an adapter, a delta or a mask file
 * is applied only to the weights it was made from. It hashes the float32 values (with names and
 * shapes) of the tensors the export touches, not a file's bytes: the same weights stored as one
 * file or as shards, in F32 or BF16 that widen to the same float32 values, hash the same.
 */
import { createHash } from 'node:crypto';
import type { Tensor } from '../../core/tensor.js';

export const HASH_ALGORITHM = 'sha256 over name, shape and float32 little-endian bytes of each tensor, names sorted';

/** Hex sha256 of the named float32 tensors (names sorted); a missing name throws naming it. */
export function weightsHash(weights: ReadonlyMap<string, Tensor>, names: Iterable<string>): string {
  const h = createHash('sha256');
  for (const name of [...new Set(names)].sort()) {
    const t = weights.get(name);
    if (!t || t.dtype !== 'float32') throw new Error(`weightsHash: no float32 tensor '${name}'`);
    h.update(`${name}\0${JSON.stringify(t.shape)}\0`);
    h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return h.digest('hex');
}
