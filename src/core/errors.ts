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
  | 'E_CONFIG'
  | 'E_MODEL_CONFIG'
  | 'E_SAFETENSORS'
  | 'E_TOKENIZER'
  | 'E_DATA'
  | 'E_REGISTRY'
  | 'E_NONFINITE'
  | 'E_CHECKPOINT'
  | 'E_OUTPUT_EXISTS'
  | 'E_INVALID_ARGUMENT';

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
  constructor(message: string, details?: Record<string, unknown>, code: 'E_BACKEND' | 'E_CUDA_MISSING' = 'E_BACKEND') {
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
    code: 'E_MODEL_CONFIG' | 'E_SAFETENSORS' | 'E_TOKENIZER' | 'E_DATA' | 'E_CHECKPOINT',
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

export class NonFiniteLossError extends LiftError {
  constructor(step: number, loss: number, lastCheckpoint?: string) {
    super(
      'E_NONFINITE',
      `loss became ${loss} at step ${step}; training stopped` +
        (lastCheckpoint ? `; the last good checkpoint is ${lastCheckpoint}` : ''),
      { step, loss, lastCheckpoint },
    );
  }
}

export class InvalidArgumentError extends LiftError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('E_INVALID_ARGUMENT', message, details);
  }
}
