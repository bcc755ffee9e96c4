/**
 * Masks as core checks them: whatever strategy chose them, a mask is `budget` sorted, distinct,
 * in-range flat indices. Parametrizations that train entries at a mask share these helpers.
 */
import type { DenseOps, MaskCopies, MaskSelection, MaskStrategy } from '../contracts.js';
import { InvalidArgumentError } from '../errors.js';
import { Rng } from '../rng.js';
import { type PortableRef, loadPortable } from '../tasks.js';
import { tensor } from '../tensor.js';

/**
 * Asks `strategy` for the mask of one weight and checks the answer against the MaskStrategy
 * contract. With `ctx.selection` and a portable strategy, the selection runs on the task pool
 * (the same code on a copy of the weight, with a copy of `ctx.rng`), and the mask is returned
 * once `selection.after` has settled (target order); otherwise on this thread.
 */
export async function selectMask(
  strategy: MaskStrategy,
  name: string,
  weight: Float32Array,
  rows: number,
  cols: number,
  budget: number,
  ctx: { rng: Rng; step: number; ops?: DenseOps; selection?: MaskSelection },
): Promise<Int32Array> {
  const portable = ctx.selection ? strategy.portable?.() : undefined;
  if (ctx.selection && portable) {
    const copy = ctx.selection.copies.take(weight);
    const task: MaskTask = { strategy: portable, name, weight: copy, rows, cols, budget, step: ctx.step, rng: ctx.rng.getState() };
    const settled = ctx.selection.pool.run<MaskTaskResult>({ ...MASK_TASK, options: task }, [copy.buffer as ArrayBuffer]).then(
      (r) => (ctx.selection!.copies.give(r.weight), { v: r.mask }),
      (e: unknown) => ({ e }),
    );
    // an earlier target that failed stops this one too (as the sequential loop would have)
    await ctx.selection.after;
    const r = await settled;
    if ('e' in r) throw r.e;
    return r.v;
  }
  const idx = await strategy.select(tensor('float32', [rows, cols], weight), budget, { name, rng: ctx.rng, step: ctx.step, ...(ctx.ops ? { ops: ctx.ops } : {}) });
  if (idx.length !== budget) {
    throw new InvalidArgumentError(`strategy '${strategy.name}' returned ${idx.length} indices for '${name}', expected ${budget}`);
  }
  for (let i = 0; i < idx.length; i++) {
    if (idx[i]! < 0 || idx[i]! >= rows * cols || (i > 0 && idx[i]! <= idx[i - 1]!)) {
      throw new InvalidArgumentError(`strategy '${strategy.name}' returned indices for '${name}' that are not sorted, distinct and in range`);
    }
  }
  return idx;
}

/** One mask selection as a worker receives it. */
export interface MaskTask {
  readonly strategy: PortableRef;
  readonly name: string;
  readonly weight: Float32Array;
  readonly rows: number;
  readonly cols: number;
  readonly budget: number;
  readonly step: number;
  /** State of the selection's own Rng (forked in target order on the calling thread). */
  readonly rng: number[];
}

/** A pooled selection's answer: the mask, and the weight's copy moving back to be reused. */
export interface MaskTaskResult {
  readonly mask: Int32Array;
  readonly weight: Float32Array;
}

/**
 * Copies of weights on their way to a pool's thread, reused within one batch of selections (a
 * copy comes back with its mask): a refresh of a 135M model would otherwise allocate, and the
 * collector free, 0.4 GB of fresh copies page by page. One per batch, so nothing outlives it; at
 * most the batch's window of copies exists at once.
 */
export class WeightCopies implements MaskCopies {
  private readonly free = new Map<number, Float32Array[]>();

  take(weight: Float32Array): Float32Array {
    const copy = this.free.get(weight.length)?.pop() ?? new Float32Array(weight.length);
    copy.set(weight);
    return copy;
  }

  give(copy: Float32Array): void {
    if (copy.buffer.byteLength === 0) return; // detached: it stayed with the thread
    const free = this.free.get(copy.length) ?? [];
    free.push(copy);
    this.free.set(copy.length, free);
  }
}

/** What a worker's setup gives every task: DenseOps of the backend, when it has them. */
export interface MaskTaskEnv {
  readonly ops?: DenseOps;
}

/** The portable function a task pool runs for a mask: runMaskTask below. */
export const MASK_TASK: PortableRef = Object.freeze({ module: import.meta.url, export: 'runMaskTask' });

const strategies = new Map<string, Promise<MaskStrategy>>();

/** Runs on a pool's thread: rebuilds the strategy (once per description) and selects, checked as selectMask checks. */
export async function runMaskTask(task: MaskTask, env: MaskTaskEnv = {}): Promise<MaskTaskResult> {
  const key = JSON.stringify(task.strategy);
  let strategy = strategies.get(key);
  if (!strategy) {
    strategy = loadPortable<(options: unknown) => MaskStrategy>(task.strategy).then((make) => make(task.strategy.options));
    strategies.set(key, strategy);
    strategy.catch(() => strategies.delete(key));
  }
  const mask = await selectMask(await strategy, task.name, task.weight, task.rows, task.cols, task.budget, {
    rng: new Rng(task.rng),
    step: task.step,
    ...(env.ops ? { ops: env.ops } : {}),
  });
  return { mask, weight: task.weight };
}

/** weight[indices[i]] for every i, as a new vector. */
export function gatherValues(weight: Float32Array, indices: Int32Array): Float32Array {
  const v = new Float32Array(indices.length);
  for (let i = 0; i < indices.length; i++) v[i] = weight[indices[i]!]!;
  return v;
}

/** weight[indices[i]] = values[i] for every i, in place. */
export function scatterValues(weight: Float32Array, indices: Int32Array, values: Float32Array): void {
  for (let i = 0; i < indices.length; i++) weight[indices[i]!] = values[i]!;
}
