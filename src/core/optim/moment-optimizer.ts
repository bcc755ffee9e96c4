/**
 * The bookkeeping shared by Adam-family optimizers: per-parameter step counters and two moment
 * buffers, their remapping on a mask refresh, and checkpointing. Subclasses supply only the
 * update rule for one parameter vector, which runs as one tight loop over Float32Arrays.
 */
import type { Optimizer, OptimizerState } from '../contracts.js';
import { InvalidArgumentError } from '../errors.js';
import { type KernelRef, type KernelRunner, kernelScalars } from '../parallel.js';
import { type AdamHyper, hyperFromRecord, hyperToRecord } from './adam-hyper.js';
import { checkMaskIndices, remapValues } from './remap.js';

interface Slot {
  /** Steps taken on this parameter; the bias corrections use it, counted from 1. */
  step: number;
  /** First moment, one entry per trainable value. */
  m: Float32Array;
  /** Second moment. */
  v: Float32Array;
  /** The runner m and v were allocated by (shared with its threads); absent for plain arrays. */
  owner?: KernelRunner;
}

export abstract class MomentOptimizer implements Optimizer {
  abstract readonly name: string;
  private readonly slots = new Map<string, Slot>();

  constructor(protected hyper: AdamHyper) {
    // the checkpoint form's checks: betas in [0, 1), eps > 0, weightDecay ≥ 0
    hyperFromRecord(hyperToRecord(hyper));
  }

  get hyperparameters(): AdamHyper {
    return { ...this.hyper };
  }

  /**
   * Updates `p` in place from gradient `g`, moments `m`, `v` (also in place) at step `t` ≥ 1.
   * Called once per parameter per step; must not allocate.
   */
  protected abstract update(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, t: number, lr: number): void;

  /**
   * Optional: the update rule as a kernel over [p, g, m, v] (core/parallel.ts) with its scalars
   * for step `t`, `lr` and the fused clip scale. Subclasses that give one get stepOn() on worker
   * threads; update() should then call the same kernel (see kernelUpdate) so both paths agree.
   */
  protected kernel?(): KernelRef;
  protected kernelScalars?(t: number, lr: number, gradScale: number): number[];

  /** update() through the kernel, over the whole vector, without a clip scale. */
  protected kernelUpdate(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, t: number, lr: number): void {
    this.kernel!().fn([p, g, m, v], kernelScalars(this.kernelScalars!(t, lr, 1)), 0, p.length);
  }

  step(params: ReadonlyMap<string, Float32Array>, grads: ReadonlyMap<string, Float32Array>, lr: number): void {
    this.check(params, grads, lr);
    for (const [name, p] of params) {
      const slot = this.slotOf(name, p.length);
      slot.step++;
      this.update(p, grads.get(name)!, slot.m, slot.v, slot.step, lr);
    }
  }

  /**
   * step() with the gradients scaled by `gradScale` (rounded to float32, as an in-place scale
   * stores them) and the elementwise work on `runner`. The gradients are consumed.
   */
  async stepOn(
    runner: KernelRunner,
    params: ReadonlyMap<string, Float32Array>,
    grads: ReadonlyMap<string, Float32Array>,
    lr: number,
    gradScale: number,
  ): Promise<void> {
    if (typeof gradScale !== 'number' || !Number.isFinite(gradScale) || gradScale < 0) {
      throw new InvalidArgumentError(`gradient scale must be a finite number ≥ 0; got ${gradScale}`, { field: 'gradScale', value: gradScale });
    }
    const kernel = this.kernel?.();
    // no kernel, or step() overridden (a subclass or a wrapper made with Object.create that
    // decorates step): the two-pass form through this.step, so the override still runs
    if (!kernel || !this.kernelScalars || this.step !== MomentOptimizer.prototype.step) {
      if (gradScale !== 1) for (const g of grads.values()) for (let i = 0; i < g.length; i++) g[i]! *= gradScale;
      this.step(params, grads, lr);
      return;
    }
    this.check(params, grads, lr);
    const tasks = [];
    for (const [name, p] of params) {
      const slot = this.slotOf(name, p.length, runner);
      slot.step++;
      tasks.push({ arrays: [p, grads.get(name)!, slot.m, slot.v], scalars: this.kernelScalars(slot.step, lr, gradScale), consumed: [1] });
    }
    await runner.run(kernel, tasks);
  }

  /** Validates a step's arguments before anything is touched, so a bad call leaves no half-applied step. */
  private check(params: ReadonlyMap<string, Float32Array>, grads: ReadonlyMap<string, Float32Array>, lr: number): void {
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
      throw new InvalidArgumentError(`learning rate must be a finite number ≥ 0; got ${lr}`, { field: 'lr', value: lr });
    }
    for (const [name, p] of params) {
      const g = grads.get(name);
      if (!g) throw new InvalidArgumentError(`${this.name}: no gradient for parameter ${name}`, { parameter: name });
      if (g.length !== p.length) {
        throw new InvalidArgumentError(`${this.name}: gradient of ${name} has ${g.length} values, the parameter has ${p.length}`, {
          parameter: name,
        });
      }
      const slot = this.slots.get(name);
      if (slot && slot.m.length !== p.length) {
        throw new InvalidArgumentError(
          `${this.name}: parameter ${name} has ${p.length} values but its optimizer state has ${slot.m.length}; ` +
            'call remap(name, oldIndices, newIndices) when its mask changes',
          { parameter: name },
        );
      }
    }
    for (const name of grads.keys()) {
      if (!params.has(name)) throw new InvalidArgumentError(`${this.name}: gradient for unknown parameter ${name}`, { parameter: name });
    }
  }

  /** The slot of `name`, made on first use; with a runner, its moments live in the runner's shared memory. */
  private slotOf(name: string, length: number, runner?: KernelRunner): Slot {
    let slot = this.slots.get(name);
    if (!slot) {
      slot = runner
        ? { step: 0, m: runner.allocate(length), v: runner.allocate(length), owner: runner }
        : { step: 0, m: new Float32Array(length), v: new Float32Array(length) };
      this.slots.set(name, slot);
    } else if (runner && slot.owner !== runner) {
      // loaded, remapped or made inline: move the moments into the runner's memory once
      const m = runner.allocate(length);
      const v = runner.allocate(length);
      m.set(slot.m);
      v.set(slot.v);
      Object.assign(slot, { m, v, owner: runner });
    }
    return slot;
  }

  remap(name: string, oldIndices: Int32Array, newIndices: Int32Array): void {
    checkMaskIndices('oldIndices', oldIndices);
    checkMaskIndices('newIndices', newIndices);
    const slot = this.slots.get(name);
    // a parameter that never stepped has no state to carry; it is allocated at its new size on first step
    if (!slot) return;
    if (slot.m.length !== oldIndices.length) {
      throw new InvalidArgumentError(
        `${this.name}: remap of ${name} gives ${oldIndices.length} old indices but its state has ${slot.m.length} entries`,
        { parameter: name },
      );
    }
    slot.m = remapValues(slot.m, oldIndices, newIndices);
    slot.v = remapValues(slot.v, oldIndices, newIndices);
    delete slot.owner;
  }

  /** Steps taken on `name` (0 if none). */
  stepOf(name: string): number {
    return this.slots.get(name)?.step ?? 0;
  }

  stateBytes(): number {
    let bytes = 0;
    for (const s of this.slots.values()) bytes += s.m.byteLength + s.v.byteLength;
    return bytes;
  }

  state(): OptimizerState {
    const params: OptimizerState['params'] = {};
    for (const [name, s] of this.slots) params[name] = { step: s.step, buffers: { m: s.m.slice(), v: s.v.slice() } };
    return { name: this.name, hyper: hyperToRecord(this.hyper), params };
  }

  stateView(): OptimizerState {
    const params: OptimizerState['params'] = {};
    for (const [name, s] of this.slots) params[name] = { step: s.step, buffers: { m: s.m, v: s.v } };
    return { name: this.name, hyper: hyperToRecord(this.hyper), params };
  }

  load(state: OptimizerState): void {
    if (state.name !== this.name) {
      throw new InvalidArgumentError(`optimizer state was saved by '${state.name}', cannot load it into '${this.name}'`, {
        field: 'name',
      });
    }
    const hyper = hyperFromRecord(state.hyper ?? {});
    const slots = new Map<string, Slot>();
    for (const [name, p] of Object.entries(state.params ?? {})) {
      if (!name) throw new InvalidArgumentError(`${this.name} state: empty parameter name`, { parameter: name });
      if (!Number.isInteger(p?.step) || p.step < 0) {
        throw new InvalidArgumentError(`${this.name} state of ${name}: step must be an integer ≥ 0; got ${p?.step}`, { parameter: name });
      }
      const m = p.buffers?.m;
      const v = p.buffers?.v;
      if (!(m instanceof Float32Array) || !(v instanceof Float32Array)) {
        throw new InvalidArgumentError(`${this.name} state of ${name}: buffers m and v must be Float32Arrays`, { parameter: name });
      }
      if (m.length !== v.length) {
        throw new InvalidArgumentError(`${this.name} state of ${name}: m has ${m.length} entries, v has ${v.length}`, { parameter: name });
      }
      slots.set(name, { step: p.step, m: m.slice(), v: v.slice() });
    }
    this.hyper = hyper;
    this.slots.clear();
    for (const [k, s] of slots) this.slots.set(k, s);
  }
}
