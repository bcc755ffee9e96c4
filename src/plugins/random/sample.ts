/**
 * k distinct integers from [0, n), uniformly over all k-subsets, returned ascending.
 * Floyd's algorithm draws exactly k numbers (no rejection loop, whatever k/n is); a bitset marks
 * the chosen ones, and reading it back in order yields the sorted result without a sort.
 */
import { Rng } from '../../core/rng.js';

export function sampleSortedDistinct(n: number, k: number, rng: Rng): Int32Array {
  const bits = new Uint32Array(Math.ceil(n / 32));
  for (let j = n - k; j < n; j++) {
    const t = rng.int(j + 1);
    // t already taken: j itself cannot be (only values < j were eligible so far), so take j
    const x = bits[t >>> 5]! & (1 << (t & 31)) ? j : t;
    bits[x >>> 5]! |= 1 << (x & 31);
  }
  const out = new Int32Array(k);
  let o = 0;
  for (let w = 0; w < bits.length; w++) {
    let word = bits[w]!;
    while (word !== 0) {
      const low = word & -word;
      out[o++] = w * 32 + (31 - Math.clz32(low));
      word ^= low;
    }
  }
  return out;
}

/**
 * A stream that depends only on (seed, parameter name, step), so a seeded random mask does not
 * depend on the order in which parameters or refreshes are visited.
 */
export function maskRng(seed: number, name: string, step: number): Rng {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return new Rng(fmix32(fmix32(fmix32(seed >>> 0) ^ h) ^ (step >>> 0)));
}

/** MurmurHash3's finalizer: every input bit affects every output bit. */
function fmix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}
