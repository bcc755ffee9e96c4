/**
 * Host-side LoRA math with PEFT's semantics, so adapters trained here load there and back:
 * ΔW = (α/r)·B·A with A [r, n] and B [m, r] (PEFT's lora_A.weight and lora_B.weight shapes).
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { type Tensor, tensor } from '../../core/tensor.js';

export interface LoraFactors {
  /** lora_A [r, n]. */
  a: Tensor<'float32'>;
  /** lora_B [m, r]. */
  b: Tensor<'float32'>;
}

/**
 * PEFT's init: A ~ kaiming_uniform_(a=√5), i.e. U(−1/√n, 1/√n) with fan_in n (gain √(2/(1+5)),
 * bound gain·√(3/n)); B = 0, so the adapted model starts as the base model. Draws row-major.
 */
export function initLora(m: number, n: number, r: number, rng: Rng): LoraFactors {
  for (const [field, v] of [['m', m], ['n', n], ['r', r]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError(`${field} must be a positive integer; got ${v}`, { field });
  }
  const bound = 1 / Math.sqrt(n);
  const a = new Float32Array(r * n);
  for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-bound, bound);
  return { a: tensor('float32', [r, n], a), b: tensor('float32', [m, r]) };
}

/** W + scale·B·A as a new [m, n] tensor; scale = α/r in PEFT. Sums in float64. */
export function mergeLora(w: Tensor<'float32'>, a: Tensor<'float32'>, b: Tensor<'float32'>, scale: number): Tensor<'float32'> {
  const [m, n] = dims(w, 'W');
  const [r, na] = dims(a, 'A');
  const [mb, rb] = dims(b, 'B');
  if (na !== n || mb !== m || rb !== r) {
    throw new InvalidArgumentError(
      `LoRA shapes do not fit: W [${m}, ${n}] needs A [r, ${n}] and B [${m}, r]; got A [${r}, ${na}], B [${mb}, ${rb}]`,
      { field: 'A/B' },
    );
  }
  if (!Number.isFinite(scale)) throw new InvalidArgumentError(`scale must be finite; got ${scale}`, { field: 'scale' });
  const out = new Float32Array(m * n);
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let t = 0; t < r; t++) {
      const c = b.data[i * r + t]!;
      const at = t * n;
      for (let j = 0; j < n; j++) row[j]! += c * a.data[at + j]!;
    }
    for (let j = 0; j < n; j++) out[i * n + j] = w.data[i * n + j]! + scale * row[j]!;
  }
  return tensor('float32', [m, n], out);
}

/**
 * The LoRA rank whose adapter has about k parameters: (m+n)·r ≈ k, i.e. round(k/(m+n)), at least 1
 * and at most min(m, n) (a larger rank adds parameters, not expressiveness).
 */
export function budgetMatchedRank(m: number, n: number, k: number): number {
  for (const [field, v] of [['m', m], ['n', n]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError(`${field} must be a positive integer; got ${v}`, { field });
  }
  if (!Number.isInteger(k) || k < 1) throw new InvalidArgumentError(`k must be a positive integer; got ${k}`, { field: 'k' });
  return Math.min(Math.max(1, Math.round(k / (m + n))), Math.min(m, n));
}

function dims(t: Tensor<'float32'>, field: string): [number, number] {
  if (t.shape.length !== 2 || t.data.length !== t.shape[0]! * t.shape[1]!) {
    throw new InvalidArgumentError(`${field} must be a matrix; got shape [${t.shape.join(', ')}]`, { field });
  }
  return [t.shape[0]!, t.shape[1]!];
}
