/**
 * Dependency-injection tokens. Interfaces have no runtime type, so every injection names its
 * token explicitly with @inject(TOKENS.X); nothing relies on emitted decorator metadata.
 */
export const TOKENS = {
  Registry: Symbol.for('lift-sft.Registry'),
  Backend: Symbol.for('lift-sft.Backend'),
  TensorStore: Symbol.for('lift-sft.TensorStore'),
  CheckpointStore: Symbol.for('lift-sft.CheckpointStore'),
  TrainingLogger: Symbol.for('lift-sft.TrainingLogger'),
  Trainer: Symbol.for('lift-sft.Trainer'),
  /** Optional: a KernelRunnerFactory (core/parallel.ts) for host work on worker threads. */
  KernelRunnerFactory: Symbol.for('lift-sft.KernelRunnerFactory'),
} as const;
