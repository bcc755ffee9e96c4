/**
 * Typed errors. Every error lift-sft raises on bad input carries a stable `code` and a message
 * that names the file, field or tensor at fault and what was expected.
 */
export type ErrorCode =
  | 'E_GRAPH'
  | 'E_NO_GRADIENT'
  | 'E_FEED'
  | 'E_BACKEND'
  | 'E_CUDA_MISSING'
  | 'E_BACKEND_MISSING'
  | 'E_WASM_MISSING'
  | 'E_OUT_OF_MEMORY'
  | 'E_CONFIG'
  | 'E_MODEL_CONFIG'
  | 'E_SAFETENSORS'
  | 'E_TOKENIZER'
  | 'E_DATA'
  | 'E_REGISTRY'
  | 'E_NONFINITE'
  | 'E_CHECKPOINT'
  | 'E_OUTPUT_EXISTS'
  | 'E_INVALID_ARGUMENT'
  | 'E_EXPORT'
  | 'E_ADAPTER'
  | 'E_DELTA'
  | 'E_HOST'
  | 'E_USAGE'
  | 'E_COMPARE_FAILED'
  | 'E_DIVERGED'
  | 'E_RESUME'
  | 'E_LOCKED'
  | 'E_IO'
  | 'E_KERNEL'
  | 'E_INTERNAL';

export class LiftError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A graph whose shapes or dtypes do not fit, found while the graph is built. */
export class GraphBuildError extends LiftError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('E_GRAPH', message, details);
  }
}

/** Autodiff met an op that has no vector-Jacobian rule. */
export class NoGradientError extends LiftError {
  constructor(readonly op: string) {
    super('E_NO_GRADIENT', `no gradient rule is registered for op '${op}'`, { op });
  }
}

/** A tensor fed to a compiled graph has the wrong name, shape or dtype. */
export class FeedError extends LiftError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('E_FEED', message, details);
  }
}

export class BackendError extends LiftError {
  constructor(
    message: string,
    details?: Record<string, unknown>,
    code: 'E_BACKEND' | 'E_CUDA_MISSING' | 'E_BACKEND_MISSING' | 'E_WASM_MISSING' | 'E_OUT_OF_MEMORY' = 'E_BACKEND',
  ) {
    super(code, message, details);
  }
}

/** One or more configuration violations, each with its JSON path. */
export class ConfigError extends LiftError {
  constructor(
    readonly violations: { path: string; message: string }[],
    source?: string,
  ) {
    super(
      'E_CONFIG',
      `invalid configuration${source ? ` in ${source}` : ''}:\n` +
        violations.map((v) => `  ${v.path || '/'}: ${v.message}`).join('\n'),
      { violations, source },
    );
  }
}

/** A file (checkpoint, config.json, dataset, tokenizer) that is missing or malformed. */
export class FileFormatError extends LiftError {
  constructor(
    code: 'E_MODEL_CONFIG' | 'E_SAFETENSORS' | 'E_TOKENIZER' | 'E_DATA' | 'E_CHECKPOINT' | 'E_EXPORT' | 'E_ADAPTER' | 'E_DELTA',
    readonly file: string,
    problem: string,
    details?: Record<string, unknown>,
  ) {
    super(code, `${file}: ${problem}`, { file, ...details });
  }
}

const PLURAL: Record<string, string> = { strategy: 'strategies' };

export class RegistryError extends LiftError {
  constructor(kind: string, name: string, known: string[]) {
    super(
      'E_REGISTRY',
      `unknown ${kind} '${name}'; registered ${PLURAL[kind] ?? `${kind}s`}: ${known.length ? known.join(', ') : '(none)'}`,
      { kind, name, known },
    );
  }
}

/** What a stop on a bad loss says about where to go on from: the checkpoint that resumes finitely, or none. */
function resumeHint(lastCheckpoint: string | undefined): string {
  return lastCheckpoint
    ? `; the last good checkpoint is ${lastCheckpoint} (a resume continues from it: lower the learning rate first)`
    : '; no checkpoint of this run resumes finitely: lower the learning rate and start again';
}

export class NonFiniteLossError extends LiftError {
  constructor(step: number, loss: number, lastCheckpoint?: string) {
    super('E_NONFINITE', `loss became ${loss} at step ${step}; training stopped` + resumeHint(lastCheckpoint), { step, loss, lastCheckpoint });
  }
}

/**
 * The loss ran far above where the run started (a learning rate that destroys the model: the
 * loss of uniform guessing, ln(vocab), or worse) while staying finite.
 */
export class DivergedLossError extends LiftError {
  constructor(step: number, loss: number, limit: number, firstLoss: number, lastCheckpoint?: string) {
    super(
      'E_DIVERGED',
      `loss diverged at step ${step}: ${loss.toPrecision(5)}, above ${limit.toPrecision(5)} (the first step's loss was ${firstLoss.toPrecision(5)}); training stopped` +
        resumeHint(lastCheckpoint),
      { step, loss, limit, firstLoss, lastCheckpoint },
    );
  }
}

/** Another run holds the output directory's lock. */
export class LockedError extends LiftError {
  constructor(readonly dir: string, holder: string, lockFile: string) {
    super(
      'E_LOCKED',
      `${dir} is in use by another lift-sft run (${holder}); wait for it to end, or, if that process is gone, delete ${lockFile}`,
      { dir, lockFile },
    );
  }
}

/** Why a file-system call failed, in words a user can act on, by errno code. */
const IO_HINTS: Record<string, string> = {
  ENOSPC: 'no space left on the device: free space or choose a directory on another disk',
  EDQUOT: 'disk quota exceeded: free space or choose a directory on another disk',
  EACCES: 'permission denied: choose a location you can write to',
  EPERM: 'operation not permitted: choose a location you can write to',
  EROFS: 'the file system is read-only: choose a writable location',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'is a directory, not a file',
  ENOENT: 'no such file or directory',
  EEXIST: 'already exists',
  EMFILE: 'too many open files',
  EIO: 'input/output error of the device',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
};

/** A file-system operation that failed, naming the path, what was being done and why. */
export class IoError extends LiftError {
  constructor(
    readonly path: string,
    action: string,
    readonly errno: string,
    reason?: string,
  ) {
    super('E_IO', `${path}: cannot ${action}: ${IO_HINTS[errno] ?? reason ?? 'failed'} (${errno})`, { path, action, errno });
  }
}

/**
 * The typed error of a Node file-system failure (an Error with an errno `code` such as ENOSPC),
 * or undefined for anything else. `path` and `action` name what was being done when the error
 * itself does not.
 */
export function ioErrorOf(e: unknown, path?: string, action = 'write', options: { preferOwnPath?: boolean } = {}): IoError | undefined {
  if (e instanceof LiftError || !(e instanceof Error)) return undefined;
  const { code, path: own, syscall } = e as Error & { code?: unknown; path?: unknown; syscall?: unknown };
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return undefined;
  const useOwn = typeof own === 'string' && (options.preferOwnPath ?? true);
  const where = useOwn ? (own as string) : path;
  if (where === undefined) return undefined;
  const verb = useOwn && typeof syscall === 'string' ? (SYSCALL_ACTIONS[syscall] ?? action) : action;
  return new IoError(where, verb, code, e.message);
}

const SYSCALL_ACTIONS: Record<string, string> = {
  open: 'open',
  read: 'read',
  write: 'write',
  mkdir: 'create the directory',
  rename: 'rename',
  unlink: 'delete',
  rmdir: 'delete',
  scandir: 'list',
  stat: 'read',
  lstat: 'read',
  link: 'create',
  fsync: 'write',
  copyfile: 'copy',
};

/**
 * A host training framework's parameter or gradient (HostAdapter: a tfjs variable) that the plugin
 * cannot use; `variable` names it (or the model, when none of its variables fits).
 */
export class HostError extends LiftError {
  constructor(
    readonly variable: string,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super('E_HOST', message, { variable, ...details });
  }
}

export class InvalidArgumentError extends LiftError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('E_INVALID_ARGUMENT', message, details);
  }
}

/**
 * A host kernel failed on a thread, or a worker thread died: the step was not (fully) applied
 * (core/parallel.ts). Defined here, with the other typed errors, so a kernel's failure on a worker
 * thread crosses back as this same class (core/tasks.ts reviveError).
 */
export class KernelError extends LiftError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('E_KERNEL', message, details);
  }
}
