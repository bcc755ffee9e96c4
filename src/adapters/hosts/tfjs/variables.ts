/**
 * Which tfjs variables lift-sft tunes, under which names, and the checks that make a bad pick
 * one typed line naming the variable (wrong rank, wrong dtype, frozen in tfjs, no such name).
 */
import type { LayersModel, Variable } from '@tensorflow/tfjs';
import { HostError } from '../../../core/errors.js';
import type { MatrixLayout } from './layout.js';

/** The variables to tune: their names, or a test on name and shape (as tfjs stores it). */
export type VariableSelection = readonly string[] | ((name: string, shape: readonly number[]) => boolean);

/** One tuned variable: its name for lift-sft, the tfjs variable, its stored shape and layout. */
export interface HostVariable {
  readonly name: string;
  readonly variable: Variable;
  /** The shape as tfjs stores it ([in, out] for an 'in-out' kernel). */
  readonly shape: readonly [number, number];
  readonly layout: MatrixLayout;
}

/** A candidate before selection: a name and a tfjs variable. */
export interface NamedVariable {
  readonly name: string;
  readonly variable: Variable;
}

/**
 * A LayersModel's weights by their scoped names ('hidden1/kernel'). tfjs makes variable names
 * unique per process by appending `_1`, `_2` ... when the same layer names are built again (a
 * second copy of a model); the scoped name stays the same, so masks and logs keep their names.
 * Falls back to tfjs' unique names where scoped names collide inside the model.
 */
export function modelVariables(model: LayersModel): NamedVariable[] {
  const weights = model.weights;
  const scoped = weights.map((w) => w.originalName);
  const unique = new Set(scoped).size === scoped.length;
  return weights.map((w, i) => ({ name: unique ? scoped[i]! : w.name, variable: w.read() as Variable }));
}

/** Default pick in a LayersModel: its trainable matrices named `kernel` (Dense, and LSTM/GRU kernels: all x·K). */
export const isKernelMatrix = (name: string, shape: readonly number[]) => shape.length === 2 && /kernel$/.test(name);

/** Default pick among plain variables: every matrix. */
export const isMatrix = (_name: string, shape: readonly number[]) => shape.length === 2;

const describe = (c: NamedVariable) => `${c.name} [${c.variable.shape.join(', ')}]${c.variable.trainable ? '' : ' (frozen)'}`;

function list(candidates: readonly NamedVariable[]): string {
  const shown = candidates.slice(0, 12).map(describe).join(', ');
  return candidates.length > 12 ? `${shown}, … (${candidates.length} in all)` : shown || '(none)';
}

/**
 * The selected variables, checked: each a trainable float32 matrix. `fallback` is the default
 * test (applied to trainable variables only) when `selection` is absent; an explicit selection is
 * strict, so a vector or a frozen variable it names is an error, never a silent skip.
 */
export function selectVariables(
  candidates: readonly NamedVariable[],
  selection: VariableSelection | undefined,
  fallback: (name: string, shape: readonly number[]) => boolean,
  layoutOf: (name: string, shape: readonly number[]) => MatrixLayout,
  owner: string,
): HostVariable[] {
  const names = new Set<string>();
  for (const c of candidates) {
    if (names.has(c.name)) throw new HostError(c.name, `${owner} has two variables named '${c.name}'; give them distinct names`);
    names.add(c.name);
  }
  let picked: NamedVariable[];
  if (Array.isArray(selection)) {
    for (const name of selection as readonly string[]) {
      if (!names.has(name)) throw new HostError(name, `${owner} has no variable '${name}'; its variables: ${list(candidates)}`);
    }
    picked = candidates.filter((c) => (selection as readonly string[]).includes(c.name));
  } else if (typeof selection === 'function') {
    picked = candidates.filter((c) => selection(c.name, c.variable.shape));
  } else {
    picked = candidates.filter((c) => c.variable.trainable && fallback(c.name, c.variable.shape));
  }
  if (picked.length === 0) {
    throw new HostError(owner, `no variable of ${owner} matches the selection; its variables: ${list(candidates)}; pass 'include' naming the matrices to tune`);
  }
  return picked.map((c) => {
    const { name, variable } = c;
    const shape = variable.shape;
    if (shape.length !== 2) {
      throw new HostError(name, `tfjs variable '${name}' has shape [${shape.join(', ')}] (rank ${shape.length}); lift-sft tunes matrices (rank 2): leave it out of 'include'`, { shape });
    }
    if (variable.dtype !== 'float32') {
      throw new HostError(name, `tfjs variable '${name}' is ${variable.dtype}; lift-sft tunes float32 matrices: leave it out of 'include'`, { dtype: variable.dtype });
    }
    if (!variable.trainable) {
      throw new HostError(name, `tfjs variable '${name}' is not trainable in tfjs, so tfjs computes no gradient for it: set its layer's trainable to true or leave it out of 'include'`);
    }
    return { name, variable, shape: [shape[0]!, shape[1]!] as const, layout: layoutOf(name, shape) };
  });
}
