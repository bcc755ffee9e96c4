/**
 * Strict UTF-8 for data files: an invalid byte sequence is an error naming its line, never a
 * U+FFFD that the model would then be trained on.
 */
import { FileFormatError } from '../errors.js';

const strict = new TextDecoder('utf-8', { fatal: true });

/** Decodes `bytes` (the contents of `file`); invalid UTF-8 is an E_DATA error with its line and byte. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return strict.decode(bytes);
  } catch {
    const { line, offset } = firstInvalid(bytes);
    throw new FileFormatError('E_DATA', file, `line ${line}: invalid UTF-8 (byte ${offset} of the file); save the file as UTF-8`, {
      location: `line ${line}`,
      offset,
    });
  }
}

/** The 1-based line and byte offset of the first byte that does not start or continue a valid sequence. */
function firstInvalid(bytes: Uint8Array): { line: number; offset: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        strict.decode(bytes.subarray(lineStart, i));
      } catch {
        // a newline never occurs inside a valid multi-byte sequence, so lines decode on their own
        return { line, offset: lineStart + invalidOffset(bytes.subarray(lineStart, i)) };
      }
      line++;
      lineStart = i + 1;
    }
  }
  return { line, offset: bytes.length };
}

/** The offset of the first invalid sequence within one line (a shrinking prefix search). */
function invalidOffset(line: Uint8Array): number {
  let lo = 0;
  let hi = line.length;
  // the longest prefix that decodes (allowing a sequence cut at its end) ends where the error starts
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(line.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return lo;
}
