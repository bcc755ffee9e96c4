/**
 * What a training checkpoint holds, and how it is taken from and put back into a run's targets —
 * everything but where the bytes go, which is a CheckpointStore's job (files on disk in Node,
 * memory in a browser tab). Imports no Node module, so the trainer runs in a browser.
 */
import type { Optimizer, OptimizerState, TrainableTarget } from '../contracts.js';
import { InvalidArgumentError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import type { LoaderPosition } from '../data/loader.js';

export interface TrainingState {
  step: number;
  totalSteps: number;
  method: string;
  loader: LoaderPosition;
  rng: number[];
  tokens: number;
  elapsedSeconds: number;
  losses: { step: number; loss: number }[];
  optimizer: { name: string; hyper: OptimizerState['hyper']; steps: Record<string, number> };
}

export interface Checkpoint {
  /** Where the store keeps it (a directory, for files); named in errors. */
  dir: string;
  state: TrainingState;
  /** Every target's checkpoint tensors, as its parametrization names them. */
  tensors: Map<string, Tensor>;
  optimizer: OptimizerState;
}

/** The checkpoint tensors of every target. */
export function targetTensors(targets: readonly TrainableTarget[]): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const t of targets) for (const [k, v] of t.checkpoint()) out.set(k, v);
  return out;
}

/** Puts a checkpoint's target tensors and optimizer state back into a run of `method`. */
export function restoreTargets(ck: Checkpoint, method: string, targets: readonly TrainableTarget[], optimizer: Optimizer): void {
  if (ck.state.method !== method) {
    throw new InvalidArgumentError(`checkpoint ${ck.dir} was written by method '${ck.state.method}', not '${method}'`);
  }
  const file = `${ck.dir}/targets.safetensors`;
  const need = (key: string, length: number) => {
    const t = ck.tensors.get(key);
    if (!t || t.data.length !== length) throw new InvalidArgumentError(`${file}: tensor '${key}' is missing or has the wrong size`);
    return t.data;
  };
  for (const t of targets) t.restore(need);
  optimizer.load(ck.optimizer);
}
