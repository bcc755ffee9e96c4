/**
 * A run owns its output directory. Before it writes anything it claims the directory:
 * - a new run takes a directory that does not exist or is empty; one that holds anything else is
 *   refused (E_OUTPUT_EXISTS, naming what is there), and `force` only reuses a directory holding an
 *   earlier lift-sft output of the same kind, whose files then move to `previous-<time>/` (nothing
 *   is deleted, and a file lift-sft did not write stays where it is);
 * - a resumed run takes the directory it is given (moved directories included);
 * - every run holds the directory's lock until it ends (E_LOCKED names the holder), and removes
 *   the temporary files a killed write of an earlier process left behind.
 * The directory is inspected before the lock is taken (a refusal writes nothing) and again under it.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isAtomicTemp } from '../core/atomic-write.js';
import { IoError, LiftError, ioErrorOf } from '../core/errors.js';
import { checkpointStep, isCompleteCheckpoint } from '../core/training/checkpoint.js';
import { LIFT_DIR, RunLock } from './lock.js';

/** The kind of output a directory holds: how to recognise it and which of its entries lift-sft wrote. */
export interface OutputKind {
  /** For messages: 'a lift-sft run'. */
  readonly what: string;
  /** The file whose presence marks a directory as holding this kind of output. */
  readonly marker: string;
  /** Entries lift-sft writes there (what `force` moves aside). */
  owns(name: string): boolean;
  /** What to do about a directory that holds this kind of output, for the refusal. */
  advice(dir: string): string;
}

const RUN_FILES = new Set(['run.json', 'train.jsonl', 'latest.json', 'result.json', 'model', 'adapter', 'masks', 'delta', 'onnx']);

export const RUN_OUTPUT: OutputKind = {
  what: 'a lift-sft run',
  marker: 'run.json',
  owns: (name) => RUN_FILES.has(name) || checkpointStep(name) >= 0 || isAtomicTemp(name),
  advice: (dir) =>
    `continue it with \`lift train --resume ${dir}\`, choose another output.dir, or pass --force to start a new run there (the earlier run's files move to ${join(dir, 'previous-<time>')}/)`,
};

const COMPARE_FILES = new Set(['report.json', 'report.md', 'report.html', 'runs']);

export const COMPARE_OUTPUT: OutputKind = {
  what: 'a lift-sft compare report',
  marker: 'report.json',
  owns: (name) => COMPARE_FILES.has(name) || isAtomicTemp(name),
  advice: (dir) => `pass --force to replace it (the earlier report moves to ${join(dir, 'previous-<time>')}/), or choose another --out`,
};

export interface ClaimOptions {
  /** Continue the output already in the directory. */
  resume?: boolean;
  /** A new run in a directory holding an earlier output of the same kind: move that aside. */
  force?: boolean;
}

/** A claimed output directory; release() gives up its lock. */
export interface OutputClaim {
  readonly dir: string;
  /** Where `force` moved the earlier output, if it did. */
  readonly archived?: string;
  release(): void;
}

/** Entries of `dir` that count (lift-sft's own bookkeeping folder does not); null when it does not exist. */
function entriesOf(dir: string): string[] | null {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT') return null;
    throw ioErrorOf(e, dir, 'use it as the output directory') ?? e;
  }
  if (!isDir) throw new IoError(dir, 'use it as the output directory', 'ENOTDIR', 'it is a file, not a directory');
  try {
    return readdirSync(dir).filter((e) => e !== LIFT_DIR).sort();
  } catch (e) {
    throw ioErrorOf(e, dir, 'list') ?? e;
  }
}

function listed(entries: readonly string[]): string {
  return entries.slice(0, 4).join(', ') + (entries.length > 4 ? ` and ${entries.length - 4} more` : '');
}

/** Refuses a directory a new run may not take; returns whether it holds an earlier output to move aside. */
function checkNew(dir: string, entries: readonly string[] | null, kind: OutputKind, force: boolean): boolean {
  if (!entries || entries.length === 0) return false;
  if (entries.includes(kind.marker)) {
    if (force) return true;
    throw new LiftError('E_OUTPUT_EXISTS', `${dir} already holds ${kind.what} (${listed(entries)}); ${kind.advice(dir)}`, { dir, entries });
  }
  throw new LiftError(
    'E_OUTPUT_EXISTS',
    `${dir} is not empty (${listed(entries)}) and holds no ${kind.what.replace(/^an? /, '')}: lift-sft writes only into a new or empty directory${
      force ? ', and --force only reuses one that holds an earlier output of the same kind' : ''
    }; choose another directory`,
    { dir, entries },
  );
}

/**
 * The checks of a claim that write nothing: a run calls this first, so a directory it may not
 * take is refused before a big model is loaded. Returns the directory's entries (null: it does
 * not exist).
 */
export function checkOutputDir(dir: string, kind: OutputKind, options: ClaimOptions = {}): string[] | null {
  const entries = entriesOf(dir);
  if (options.resume) {
    if (entries === null || !entries.includes(kind.marker)) {
      throw new LiftError('E_RESUME', `${dir} holds no ${kind.what} (no ${kind.marker}): nothing to resume`, { dir });
    }
  } else {
    checkNew(dir, entries, kind, options.force ?? false);
  }
  return entries;
}

export function claimOutputDir(dir: string, kind: OutputKind, options: ClaimOptions = {}): OutputClaim {
  const before = checkOutputDir(dir, kind, options);
  const created = before === null;
  makeDirectory(dir);
  let lock: RunLock;
  try {
    lock = RunLock.acquire(dir);
  } catch (e) {
    if (created) removeEmpty(dir);
    throw e;
  }
  try {
    let archived: string | undefined;
    // Another run may have written between the first look and the lock: look again.
    const earlier = !options.resume && checkNew(dir, entriesOf(dir) ?? [], kind, options.force ?? false);
    removeLeftovers(dir, kind);
    if (earlier) archived = archiveEarlier(dir, entriesOf(dir) ?? [], kind);
    return { dir, ...(archived ? { archived } : {}), release: () => lock.release() };
  } catch (e) {
    lock.release();
    if (created) removeEmpty(dir);
    throw e;
  }
}

/**
 * mkdir -p with the real cause: a recursive mkdir reports ENOENT where the parent is read-only
 * (EROFS) or not writable (EACCES), so on ENOENT the first missing folder is made on its own.
 */
function makeDirectory(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    let cause = e;
    if ((e as { code?: string }).code === 'ENOENT') {
      let missing = dir;
      while (dirname(missing) !== missing && entriesOrNull(dirname(missing)) === null) missing = dirname(missing);
      try {
        mkdirSync(missing);
      } catch (inner) {
        cause = inner;
      }
    }
    throw ioErrorOf(cause, dir, 'create the directory', { preferOwnPath: false }) ?? cause;
  }
}

function entriesOrNull(dir: string): string[] | null {
  try {
    return readdirSync(dir);
  } catch {
    return null;
  }
}

/** Removes `dir` and its lock folder if nothing else is in them (a claim that failed leaves no trace). */
function removeEmpty(dir: string): void {
  try {
    rmdirSync(join(dir, LIFT_DIR));
  } catch {
    // not there, or not empty
  }
  try {
    rmdirSync(dir);
  } catch {
    // not empty: keep
  }
}

/** Moves the earlier output's entries (and its record in .lift/) into previous-<time>/; returns that folder. */
function archiveEarlier(dir: string, entries: readonly string[], kind: OutputKind): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  let target = join(dir, `previous-${stamp}`);
  for (let n = 2; entriesOf(target) !== null; n++) target = join(dir, `previous-${stamp}-${n}`);
  try {
    mkdirSync(target);
    for (const e of entries) if (kind.owns(e)) renameSync(join(dir, e), join(target, e));
    for (const e of readdirSync(join(dir, LIFT_DIR))) {
      if (e === 'lock' || e.startsWith('.lock.') || e.startsWith('lock.')) continue;
      mkdirSync(join(target, LIFT_DIR), { recursive: true });
      renameSync(join(dir, LIFT_DIR, e), join(target, LIFT_DIR, e));
    }
  } catch (e) {
    throw ioErrorOf(e, target, 'move the earlier output') ?? e;
  }
  return target;
}

/**
 * Deletes what a killed process left half-written: writeFileAtomic's temporaries in the output
 * directory and the folders lift-sft writes into, and checkpoint folders that never got their
 * state.json (a checkpoint is complete only with it) holding nothing but checkpoint files.
 */
function removeLeftovers(dir: string, kind: OutputKind): void {
  const sweep = (folder: string, depth: number): void => {
    for (const e of readdirSafe(folder)) {
      const path = join(folder, e);
      if (isAtomicTemp(e)) rmSync(path, { force: true });
      else if (depth < 3 && (folder !== dir || kind.owns(e)) && isDirectory(path)) sweep(path, depth + 1);
    }
  };
  sweep(dir, 0);
  for (const e of readdirSafe(dir)) {
    const path = join(dir, e);
    if (checkpointStep(e) < 0 || !isDirectory(path) || isCompleteCheckpoint(path)) continue;
    if (readdirSafe(path).every((f) => CHECKPOINT_FILES.has(f) || isAtomicTemp(f))) rmSync(path, { recursive: true, force: true });
  }
}

const CHECKPOINT_FILES = new Set(['targets.safetensors', 'optimizer.safetensors']);

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
