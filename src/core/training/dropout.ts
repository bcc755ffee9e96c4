import type { Rng } from '../rng.js';

/**
 * Inverted dropout factors, as torch.nn.Dropout applies them: 0 with probability p, else
 * 1/(1−p), so the expected factor is 1. One 32-bit draw per entry.
 */
export function fillDropout(out: Float32Array, p: number, rng: Rng): void {
  const threshold = p * 4294967296;
  const keep = 1 / (1 - p);
  for (let i = 0; i < out.length; i++) out[i] = rng.nextU32() < threshold ? 0 : keep;
}
