/**
 * Writes a file so a crash never leaves it half-written: the bytes go to a temporary file in the
 * same folder (same filesystem, so rename is atomic), are flushed, then renamed over the target.
 * A file-system failure (disk full, read-only, no permission) is an IoError naming the target.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ioErrorOf } from './errors.js';

let sequence = 0;

/** The temporary name of a write in progress: `.<name>.<pid>.<ms>.<n>.tmp`, beside the target. */
function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.${sequence++}.tmp`);
}

/** Whether a file name is one of writeFileAtomic's temporaries (left behind only by a killed process). */
export function isAtomicTemp(name: string): boolean {
  return /^\..+\.\d+\.\d+(\.\d+)?\.tmp$/.test(name);
}

export function writeFileAtomic(path: string, data: string | Uint8Array | readonly Uint8Array[]): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw ioErrorOf(e, dir, 'create the directory') ?? e;
  }
  const tmp = tempName(path);
  const parts = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
  let fd: number;
  try {
    fd = openSync(tmp, 'w');
  } catch (e) {
    throw ioErrorOf(e, path) ?? e;
  }
  try {
    for (const p of parts) {
      let off = 0;
      while (off < p.length) off += writeSync(fd, p, off, p.length - off);
    }
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(tmp, { force: true });
    // the target, not the temporary, is what the user knows
    throw ioErrorOf(e, path, 'write', { preferOwnPath: false }) ?? e;
  }
}

/** A small file's text, or null when there is no such file; any other failure is an IoError naming it. */
export function readTextIfExists(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return null;
    throw ioErrorOf(e, file, 'read') ?? e;
  }
}
