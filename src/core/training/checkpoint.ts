/**
 * Training checkpoints: everything a killed run needs to continue bit-for-bit — the targets'
 * weights, masks and adapters, the optimizer state, the RNG state and the data position.
 *
 * Layout: <dir>/checkpoint-<step>/{targets.safetensors, optimizer.safetensors, state.json} and
 * <dir>/latest.json naming the newest complete one. Each file is written atomically and
 * latest.json last, so a crash at any moment leaves latest.json naming a complete checkpoint.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import type { Optimizer, OptimizerState, TensorStore, TrainableTarget } from '../contracts.js';
import { FileFormatError, InvalidArgumentError } from '../errors.js';
import { type Tensor, tensor } from '../tensor.js';
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
  dir: string;
  state: TrainingState;
  /** Every target's checkpoint tensors, as its parametrization names them. */
  tensors: Map<string, Tensor>;
  optimizer: OptimizerState;
}

const LATEST = 'latest.json';

export function saveCheckpoint(store: TensorStore, outDir: string, ck: Omit<Checkpoint, 'dir'>): string {
  const name = `checkpoint-${ck.state.step}`;
  const dir = join(outDir, name);
  store.save(join(dir, 'targets.safetensors'), ck.tensors);
  const opt = new Map<string, Tensor>();
  for (const [param, s] of Object.entries(ck.optimizer.params)) {
    for (const [buf, data] of Object.entries(s.buffers)) opt.set(`${param}::${buf}`, tensor('float32', [data.length], data));
  }
  store.save(join(dir, 'optimizer.safetensors'), opt);
  writeFileAtomic(join(dir, 'state.json'), JSON.stringify(ck.state, null, 1));
  writeFileAtomic(join(outDir, LATEST), JSON.stringify({ checkpoint: name, step: ck.state.step }) + '\n');
  // Older checkpoints go only after latest.json names the new one.
  for (const entry of readdirSync(outDir)) {
    if (entry.startsWith('checkpoint-') && entry !== name) rmSync(join(outDir, entry), { recursive: true, force: true });
  }
  return dir;
}

/** The newest complete checkpoint under a run's output directory, or null when it has none. */
export function latestCheckpointDir(outDir: string): string | null {
  const pointer = join(outDir, LATEST);
  if (!existsSync(pointer)) return null;
  let parsed: { checkpoint?: unknown };
  try {
    parsed = JSON.parse(readFileSync(pointer, 'utf8'));
  } catch (e) {
    throw new FileFormatError('E_CHECKPOINT', pointer, `is not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed.checkpoint !== 'string') throw new FileFormatError('E_CHECKPOINT', pointer, "has no 'checkpoint' field");
  return join(outDir, parsed.checkpoint);
}

export function loadCheckpoint(store: TensorStore, dir: string): Checkpoint {
  const statePath = join(dir, 'state.json');
  if (!existsSync(statePath)) throw new FileFormatError('E_CHECKPOINT', statePath, 'is missing: not a complete checkpoint');
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as TrainingState;
  const tensors = store.load(join(dir, 'targets.safetensors'));
  const opt = store.load(join(dir, 'optimizer.safetensors'));
  const params: OptimizerState['params'] = {};
  for (const [param, step] of Object.entries(state.optimizer.steps)) params[param] = { step, buffers: {} };
  for (const [key, t] of opt) {
    const cut = key.lastIndexOf('::');
    const param = key.slice(0, cut);
    const entry = params[param];
    if (cut < 0 || !entry) throw new FileFormatError('E_CHECKPOINT', join(dir, 'optimizer.safetensors'), `unexpected tensor '${key}'`);
    entry.buffers[key.slice(cut + 2)] = t.data as Float32Array;
  }
  return { dir, state, tensors, optimizer: { name: state.optimizer.name, hyper: state.optimizer.hyper, params } };
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
  const file = join(ck.dir, 'targets.safetensors');
  const need = (key: string, length: number) => {
    const t = ck.tensors.get(key);
    if (!t || t.data.length !== length) throw new InvalidArgumentError(`${file}: tensor '${key}' is missing or has the wrong size`);
    return t.data;
  };
  for (const t of targets) t.restore(need);
  optimizer.load(ck.optimizer);
}
