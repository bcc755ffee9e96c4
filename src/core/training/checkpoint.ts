/**
 * Training checkpoints: everything a killed run needs to continue bit-for-bit — the targets'
 * weights, masks and adapters, the optimizer state, the RNG state and the data position.
 *
 * Layout: <dir>/checkpoint-<step>/{targets.safetensors, optimizer.safetensors, state.json} and
 * <dir>/latest.json naming the newest complete one. Each file is written atomically, state.json
 * last within a checkpoint (a checkpoint without it is incomplete) and latest.json after it, so a
 * crash at any moment leaves latest.json naming a complete checkpoint.
 *
 * latest.json also remembers which checkpoints this run wrote (`own`): cleanup deletes only
 * those, never a checkpoint-* folder someone else put there. It keeps the newest checkpoint and
 * the newest *good* one: finite weights and optimizer state, and a finite loss at the step after
 * it (a checkpoint whose weights have blown up to 1e17 still has a finite loss of its own, but
 * the next forward overflows). A run that stops on a bad loss falls back to the good one.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readTextIfExists, writeFileAtomic } from '../atomic-write.js';
import type { CheckpointStore, OptimizerState, TensorStore } from '../contracts.js';
import { FileFormatError, ioErrorOf } from '../errors.js';
import { type Tensor, tensor } from '../tensor.js';
import type { Checkpoint, TrainingState } from './checkpoint-state.js';
import { parseCheckpointJson } from './checkpoint-schema.js';

export { restoreTargets, targetTensors, type Checkpoint, type TrainingState } from './checkpoint-state.js';

const LATEST = 'latest.json';
const STATE = 'state.json';
const CHECKPOINT = /^checkpoint-(\d+)$/;

/** latest.json: the newest checkpoint, the newest good one, and every checkpoint this run wrote that still exists. */
export interface CheckpointPointer {
  checkpoint: string;
  step: number;
  /** Whether the newest checkpoint's tensors are all finite (absent in files of older versions: assumed). */
  finite?: boolean;
  good?: string;
  own?: string[];
}

/** A run's latest.json, or null when it has none; a malformed one is an E_CHECKPOINT error naming it. */
export function readPointer(outDir: string): CheckpointPointer | null {
  const file = join(outDir, LATEST);
  const text = readTextIfExists(file);
  return text === null ? null : parseCheckpointJson<CheckpointPointer>(text, file, 'pointer');
}

function writePointer(outDir: string, pointer: CheckpointPointer): void {
  writeFileAtomic(join(outDir, LATEST), JSON.stringify(pointer) + '\n');
}

/** The step of a checkpoint folder name, or -1 when the name is not one. */
export function checkpointStep(name: string): number {
  const m = CHECKPOINT.exec(name);
  return m ? Number(m[1]) : -1;
}

function allFinite(data: ArrayLike<number>): boolean {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return false;
  return true;
}

/** Every float tensor, every optimizer buffer and the last loss are finite. */
function isFiniteCheckpoint(ck: Omit<Checkpoint, 'dir'>): boolean {
  for (const t of ck.tensors.values()) if ((t.dtype === 'float32' || t.dtype === 'float64') && !allFinite(t.data as Float32Array)) return false;
  for (const p of Object.values(ck.optimizer.params)) for (const b of Object.values(p.buffers)) if (!allFinite(b)) return false;
  const last = ck.state.losses.at(-1);
  return last === undefined || Number.isFinite(last.loss);
}

export function saveCheckpoint(store: TensorStore, outDir: string, ck: Omit<Checkpoint, 'dir'>): string {
  const step = ck.state.step;
  const name = `checkpoint-${step}`;
  const dir = join(outDir, name);
  let prev: CheckpointPointer | null = null;
  try {
    prev = readPointer(outDir);
  } catch {
    // a pointer this run cannot read names nothing it may delete: start a fresh one
  }
  store.save(join(dir, 'targets.safetensors'), ck.tensors);
  const opt = new Map<string, Tensor>();
  for (const [param, s] of Object.entries(ck.optimizer.params)) {
    for (const [buf, data] of Object.entries(s.buffers)) opt.set(`${param}::${buf}`, tensor('float32', [data.length], data));
  }
  store.save(join(dir, 'optimizer.safetensors'), opt);
  writeFileAtomic(join(dir, STATE), JSON.stringify(ck.state, null, 1));

  const finite = isFiniteCheckpoint(ck);
  // The previous checkpoint is good once the step after it trained on a finite loss; the last
  // checkpoint of a finished run is good when finite (no step follows it).
  const after = prev ? ck.state.losses.find((l) => l.step === prev!.step + 1) : undefined;
  const confirmed = prev !== null && prev.checkpoint !== name && prev.finite !== false && after !== undefined && Number.isFinite(after.loss);
  const good = finite && step === ck.state.totalSteps ? name : confirmed ? prev!.checkpoint : prev?.good;
  const own = [...new Set([...(prev ? (prev.own ?? [prev.checkpoint]) : []), name])];
  const pointer: CheckpointPointer = { checkpoint: name, step, finite, ...(good ? { good } : {}), own };
  writePointer(outDir, pointer);
  // Older checkpoints go only after latest.json names the new one, and only those this run wrote.
  const keep = new Set([name, good]);
  const stale = own.filter((n) => !keep.has(n));
  if (stale.length) {
    for (const n of stale) rmSync(join(outDir, n), { recursive: true, force: true });
    writePointer(outDir, { ...pointer, own: own.filter((n) => keep.has(n)) });
  }
  return dir;
}

/**
 * After a stop on a bad loss at `failedStep`: the newest checkpoint that resumes finitely, now
 * named by latest.json, or undefined when the run has none (see CheckpointStore.fallBack).
 */
export function fallBackToGood(newest: string, failedStep: number): string | undefined {
  const outDir = dirname(newest);
  const name = basename(newest);
  let pointer: CheckpointPointer | null = null;
  try {
    pointer = readPointer(outDir);
  } catch {
    return undefined;
  }
  if (!pointer || pointer.checkpoint !== name) return pointer?.good ? join(outDir, pointer.good) : undefined;
  // the newest is good when the step after it trained (the run stopped later than that)
  const good = failedStep > pointer.step + 1 && pointer.finite !== false ? name : pointer.good;
  if (!good) return undefined;
  if (good !== pointer.checkpoint) writePointer(outDir, { ...pointer, checkpoint: good, step: checkpointStep(good), finite: true });
  return join(outDir, good);
}

/** Whether a checkpoint folder is complete: its state.json, written last, is there. */
export function isCompleteCheckpoint(dir: string): boolean {
  return existsSync(join(dir, STATE));
}

/** The complete checkpoint-<step> folders of a run directory, newest first. */
export function completeCheckpoints(outDir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(outDir);
  } catch {
    return [];
  }
  return entries
    .filter((e) => checkpointStep(e) >= 0 && isCompleteCheckpoint(join(outDir, e)))
    .sort((a, b) => checkpointStep(b) - checkpointStep(a));
}

/**
 * The checkpoint a resume continues from: the one latest.json names, or, when a run has no
 * latest.json (deleted, or killed before writing its first), the newest complete checkpoint
 * folder; null when there is none. Never silently nothing when checkpoints exist.
 */
export function latestCheckpointDir(outDir: string): string | null {
  const pointer = readPointer(outDir);
  if (pointer) return join(outDir, pointer.checkpoint);
  const newest = completeCheckpoints(outDir)[0];
  return newest ? join(outDir, newest) : null;
}

function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return i;
  return -1;
}

export function loadCheckpoint(store: TensorStore, dir: string): Checkpoint {
  const statePath = join(dir, STATE);
  if (!existsSync(statePath)) throw new FileFormatError('E_CHECKPOINT', statePath, 'is missing: not a complete checkpoint');
  let text: string;
  try {
    text = readFileSync(statePath, 'utf8');
  } catch (e) {
    throw ioErrorOf(e, statePath, 'read') ?? e;
  }
  const state = parseCheckpointJson<TrainingState>(text, statePath, 'state');
  if (state.step > state.totalSteps) throw new FileFormatError('E_CHECKPOINT', statePath, `step ${state.step} is past totalSteps ${state.totalSteps}`);
  const targetsFile = join(dir, 'targets.safetensors');
  const optimizerFile = join(dir, 'optimizer.safetensors');
  const tensors = store.load(targetsFile);
  const opt = store.load(optimizerFile);
  for (const [key, t] of tensors) {
    const at = t.dtype === 'float32' || t.dtype === 'float64' ? firstNonFinite(t.data as Float32Array) : -1;
    if (at >= 0) throw new FileFormatError('E_CHECKPOINT', targetsFile, `tensor '${key}' holds ${t.data[at]} at index ${at}`, { tensor: key });
  }
  const params: OptimizerState['params'] = {};
  for (const [param, step] of Object.entries(state.optimizer.steps)) params[param] = { step, buffers: {} };
  for (const [key, t] of opt) {
    const cut = key.lastIndexOf('::');
    const param = key.slice(0, cut);
    const entry = params[param];
    if (cut < 0 || !entry) throw new FileFormatError('E_CHECKPOINT', optimizerFile, `unexpected tensor '${key}' (state.json lists no such parameter)`);
    if (t.dtype !== 'float32') throw new FileFormatError('E_CHECKPOINT', optimizerFile, `tensor '${key}' is ${t.dtype}, expected float32`);
    const at = firstNonFinite(t.data as Float32Array);
    if (at >= 0) throw new FileFormatError('E_CHECKPOINT', optimizerFile, `tensor '${key}' holds ${t.data[at]} at index ${at}`, { tensor: key });
    entry.buffers[key.slice(cut + 2)] = t.data as Float32Array;
  }
  return { dir, state, tensors, optimizer: { name: state.optimizer.name, hyper: state.optimizer.hyper, params } };
}

/** Checkpoints as files under the run's output directory (the layout above), tensors through `store`. */
export class FileCheckpointStore implements CheckpointStore {
  constructor(private readonly store: TensorStore) {}

  save(outDir: string, ck: Omit<Checkpoint, 'dir'>): string {
    return saveCheckpoint(this.store, outDir, ck);
  }

  latest(outDir: string): Checkpoint | null {
    const dir = latestCheckpointDir(outDir);
    return dir ? loadCheckpoint(this.store, dir) : null;
  }

  fallBack(newest: string, failedStep: number): string | undefined {
    return fallBackToGood(newest, failedStep);
  }
}
