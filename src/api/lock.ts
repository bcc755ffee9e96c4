/**
 * An exclusive lock on an output directory for the whole of a run: `<dir>/.lift/lock`, a JSON
 * file naming the holder (pid, host, process start time, command, since when).
 *
 * Taking it is atomic: the holder's record is written to a private file and hard-linked to the
 * lock's name, which fails if the name exists (a half-written lock is never visible). A lock whose
 * holder is gone (same host, and no process with that pid, or one started at another time: the
 * pid was reused) is stale and taken over; one held on another host is never broken, since its
 * process cannot be checked from here. Takeover renames the stale file aside first, so of two
 * processes finding the same stale lock only one removes it, and one that moved a live lock by
 * mistake (it was replaced in between) puts it back.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LockedError, ioErrorOf } from '../core/errors.js';

export const LIFT_DIR = '.lift';
export const LOCK_FILE = 'lock';

export interface LockHolder {
  pid: number;
  host: string;
  /** The process's start time in clock ticks since boot (Linux), to tell a reused pid; null elsewhere. */
  started: number | null;
  since: string;
  command: string;
  /** Tells this lock from one another process of the same pid wrote (in-process runs share a pid). */
  token: string;
}

/** Clock ticks since boot at which process `pid` started, from /proc (Linux); null when unknown. */
function processStart(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: count fields after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[19]);
    return Number.isFinite(start) ? start : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else
    return (e as { code?: string }).code === 'EPERM';
  }
}

/** Whether the holder's process is certainly gone; a lock of another host is never judged stale. */
export function isStale(holder: LockHolder | null): boolean {
  if (holder === null) return true; // unreadable: written by no lift-sft process (a lock is linked whole)
  if (holder.host !== hostname()) return false;
  if (!isAlive(holder.pid)) return true;
  const started = processStart(holder.pid);
  return holder.started !== null && started !== null && started !== holder.started;
}

function readHolder(file: string): LockHolder | null | 'gone' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return 'gone';
    throw ioErrorOf(e, file, 'read') ?? e;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? h : null;
  } catch {
    return null;
  }
}

export function describeHolder(h: LockHolder | null): string {
  if (!h) return 'an unreadable lock file';
  return `pid ${h.pid} on ${h.host} since ${h.since}${h.command ? `: ${h.command}` : ''}`;
}

/** A held lock; release() removes it if it is still this holder's. */
export class RunLock {
  private released = false;

  private constructor(
    readonly file: string,
    readonly holder: LockHolder,
  ) {}

  /** Takes the lock of `dir` (which must exist), or throws LockedError naming the holder. */
  static acquire(dir: string): RunLock {
    const lockDir = join(dir, LIFT_DIR);
    const file = join(lockDir, LOCK_FILE);
    try {
      mkdirSync(lockDir, { recursive: true });
    } catch (e) {
      throw ioErrorOf(e, lockDir, 'create the directory') ?? e;
    }
    const holder: LockHolder = {
      pid: process.pid,
      host: hostname(),
      started: processStart(process.pid),
      since: new Date().toISOString(),
      command: process.argv.slice(1).join(' ').slice(0, 300),
      token: randomBytes(8).toString('hex'),
    };
    const mine = join(lockDir, `.lock.${process.pid}.${holder.token}.tmp`);
    try {
      writeFileSync(mine, JSON.stringify(holder) + '\n');
    } catch (e) {
      rmSync(mine, { force: true });
      throw ioErrorOf(e, file, 'create the lock') ?? e;
    }
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        if (tryLink(mine, file)) return new RunLock(file, holder);
        const current = readHolder(file);
        if (current === 'gone') continue; // released meanwhile: try again
        if (!isStale(current)) throw new LockedError(dir, describeHolder(current), file);
        takeOverStale(file, dir);
      }
      throw new LockedError(dir, describeHolder(readHolder(file) as LockHolder | null), file);
    } finally {
      rmSync(mine, { force: true });
    }
  }

  /** Removes the lock, if the file is still this holder's (a lock someone broke and retook is theirs). */
  release(): void {
    if (this.released) return;
    this.released = true;
    try {
      const current = readHolder(this.file);
      if (current !== 'gone' && current !== null && current.token === this.holder.token) rmSync(this.file, { force: true });
    } catch {
      // a lock that cannot be removed is stale once this process ends
    }
  }
}

/** Creates `file` as a hard link of `mine`: atomic, and fails when `file` exists. */
function tryLink(mine: string, file: string): boolean {
  try {
    linkSync(mine, file);
    return true;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') return tryExclusiveCreate(mine, file);
    throw ioErrorOf(e, file, 'create the lock') ?? e;
  }
}

/** For file systems without hard links: an exclusive create, then the record written into it. */
function tryExclusiveCreate(mine: string, file: string): boolean {
  try {
    writeFileSync(file, readFileSync(mine), { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === 'EEXIST') return false;
    throw ioErrorOf(e, file, 'create the lock') ?? e;
  }
}

/** Moves a stale lock aside; if what was moved turns out live (replaced in between), puts it back. */
function takeOverStale(file: string, dir: string): void {
  const aside = `${file}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(file, aside);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return; // another process took it over first
    throw ioErrorOf(e, file, 'replace the stale lock') ?? e;
  }
  const moved = readHolder(aside);
  if (moved !== 'gone' && !isStale(moved)) {
    try {
      linkSync(aside, file);
    } catch {
      // someone locked in between: they hold it now
    }
    rmSync(aside, { force: true });
    throw new LockedError(dir, describeHolder(moved), file);
  }
  rmSync(aside, { force: true });
}
