/**
 * Conversions between float32 and the 16-bit float formats stored in safetensors files.
 * Reading goes through lookup tables or bit shifts (no Math per element); writing rounds to
 * nearest, ties to even, as PyTorch's `.to(torch.bfloat16)` / `.half()` do.
 */

let halfTable: Float32Array | null = null;

/** float32 value of every float16 bit pattern (256 KiB, built once on first use). */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac ? NaN : sign * Infinity;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  halfTable = t;
  return t;
}

export function float16BitsToFloat32(src: Uint16Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  const t = halfToFloatTable();
  for (let i = 0; i < src.length; i++) out[i] = t[src[i]!]!;
  return out;
}

/** bfloat16 is the high half of a float32, so widening is a 16-bit shift. */
export function bfloat16BitsToFloat32(src: Uint16Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  const u = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) u[i] = src[i]! << 16;
  return out;
}

export function float32ToBfloat16Bits(src: Float32Array, out: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) {
    const x = u[i]!;
    if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) {
      // NaN: keep it a (quiet) NaN; rounding could carry it into infinity.
      out[i] = (x >>> 16) | 0x40;
    } else {
      out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
    }
  }
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** One float32 to float16 bits, round to nearest even, overflow to infinity, gradual underflow. */
export function float32ToFloat16Bit(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the full significand (with its implicit 1) into place.
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let r = m >>> shift;
    if (rest > half || (rest === half && r & 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && r & 1)) r++; // may carry into the exponent, which is right
  return sign | r;
}

export function float32ToFloat16Bits(src: Float32Array, out: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  for (let i = 0; i < src.length; i++) out[i] = float32ToFloat16Bit(src[i]!);
  return out;
}
