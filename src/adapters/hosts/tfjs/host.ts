/**
 * TensorFlow.js as a host framework: a HostAdapter over a tfjs model's variables. The tfjs user
 * keeps the model, the loss and the data pipeline; `backward(loss)` runs tfjs' forward and
 * backward (tf.variableGrads) for the tuned variables only, and a HostTuner reads those gradients,
 * applies the method's update (LIFT's sparse AdamW on the principal weights) and writes the
 * weights back. Every matrix crosses this boundary in lift-sft's [out, in] convention; tfjs'
 * [in, out] kernels are transposed explicitly (layout.ts).
 *
 * What it does not do: LayerVariable constraints (kernelConstraint) are not applied to the
 * weights lift-sft writes, and non-tuned variables (biases, embeddings, norms) stay as they are
 * unless the user trains them with a tfjs optimizer of their own.
 */
import * as tf from '@tensorflow/tfjs';
import type { HostAdapter } from '../../../core/contracts.js';
import { HostError, LiftError } from '../../../core/errors.js';
import { type Tensor, tensor } from '../../../core/tensor.js';
import { type MatrixLayout, fromOutIn, outInShape, toOutIn } from './layout.js';
import { type HostVariable, type NamedVariable, type VariableSelection, isKernelMatrix, isMatrix, modelVariables, selectVariables } from './variables.js';

export interface TfjsHostOptions {
  /**
   * The variables lift-sft tunes: names, or a test on name and tfjs shape. Default: a model's
   * trainable matrices named `kernel`; for plain variables, every trainable matrix. A selected
   * variable that is not a trainable float32 matrix is an error.
   */
  include?: VariableSelection;
  /**
   * How the selected variables store their matrix: 'in-out' ([in, out], y = x·K, tfjs' Dense
   * kernels: the default) or 'out-in' ([out, in], y = x·Wᵀ); or a function choosing per variable.
   */
  layout?: MatrixLayout | ((name: string, shape: readonly number[]) => MatrixLayout);
}

export class TfjsHost implements HostAdapter {
  private readonly byName: Map<string, HostVariable>;
  /** The variables whose gradients backward computes (all, until a tuner says which train). */
  private targets: HostVariable[];
  private grads: Map<string, Float32Array> | undefined;

  /** The model's variables by scoped name ('hidden1/kernel'); by default its trainable kernels. */
  static fromModel(model: tf.LayersModel, options: TfjsHostOptions = {}): TfjsHost {
    return new TfjsHost(modelVariables(model), options, isKernelMatrix, `tfjs model '${model.name}'`);
  }

  /** Plain tfjs variables (a model written with tfjs-core ops), named by the keys or by tfjs' names. */
  static fromVariables(variables: Readonly<Record<string, tf.Variable>> | readonly tf.Variable[], options: TfjsHostOptions = {}): TfjsHost {
    const named: NamedVariable[] = Array.isArray(variables)
      ? (variables as readonly tf.Variable[]).map((variable) => ({ name: variable.name, variable }))
      : Object.entries(variables).map(([name, variable]) => ({ name, variable }));
    return new TfjsHost(named, options, isMatrix, 'the tfjs variables');
  }

  private constructor(candidates: readonly NamedVariable[], options: TfjsHostOptions, fallback: typeof isMatrix, owner: string) {
    const layout = options.layout ?? 'in-out';
    const layoutOf = typeof layout === 'function' ? layout : () => layout;
    const vars = selectVariables(candidates, options.include, fallback, layoutOf, owner);
    this.byName = new Map(vars.map((v) => [v.name, v]));
    this.targets = vars;
  }

  parameterNames(): string[] {
    return [...this.byName.keys()];
  }

  /** The tfjs variable behind a parameter name. */
  variable(name: string): tf.Variable {
    return this.get(name).variable;
  }

  setTargets(names: readonly string[]): void {
    if (names.length === 0) {
      const all = this.parameterNames();
      throw new HostError(all[0]!, `the tuner trains none of the tfjs variables ${all.join(', ')}; check HostTuner's 'parameters' test`);
    }
    this.targets = names.map((n) => this.get(n));
    this.grads = undefined;
  }

  /** A copy of the variable as an [out, in] float32 matrix. */
  read(name: string): Tensor<'float32'> {
    const v = this.get(name);
    return tensor('float32', outInShape(v.shape, v.layout), toOutIn(v.variable.dataSync(), v.shape, v.layout));
  }

  /** Assigns an [out, in] matrix to the variable (transposed back for an in-out kernel). */
  write(name: string, value: Tensor<'float32'>): void {
    const v = this.get(name);
    const [rows, cols] = outInShape(v.shape, v.layout);
    if (value.dtype !== 'float32' || value.shape.length !== 2 || value.shape[0] !== rows || value.shape[1] !== cols || value.data.length !== rows * cols) {
      throw new HostError(
        name,
        `cannot write a ${value.dtype} [${value.shape.join(', ')}] into tfjs variable '${name}': it takes float32 [${rows}, ${cols}] ([out, in]; stored ${v.layout} as [${v.shape.join(', ')}])`,
        { shape: value.shape },
      );
    }
    const next = tf.tensor(fromOutIn(value.data, v.shape, v.layout), [...v.shape], 'float32');
    try {
      v.variable.assign(next);
    } finally {
      // assign shares the data and holds its own reference; this handle is ours to drop
      next.dispose();
    }
  }

  /** The dense [out, in] gradient of a tuned variable from the last backward. */
  gradient(name: string): Float32Array {
    this.get(name);
    const g = this.grads?.get(name);
    if (!g) {
      throw new HostError(
        name,
        this.grads
          ? `no gradient for tfjs variable '${name}': it is not among the variables the tuner trains`
          : `no gradient for tfjs variable '${name}' yet: call host.backward(loss) before tuner.step(host, lr)`,
      );
    }
    return g;
  }

  /**
   * Runs `loss` (the user's forward and loss, a scalar) under tfjs' autodiff and keeps the dense
   * gradients of the tuned variables only; every tensor it makes is disposed. Returns the loss.
   */
  backward(loss: () => tf.Scalar): number {
    const targets = this.targets;
    const grads = new Map<string, Float32Array>();
    let value = Number.NaN;
    try {
      tf.tidy(() => {
        const r = tf.variableGrads(loss, targets.map((v) => v.variable));
        value = r.value.dataSync()[0]!;
        for (const v of targets) {
          const g = r.grads[v.variable.name];
          if (!g) {
            throw new HostError(
              v.name,
              `no gradient for tfjs variable '${v.name}': the loss does not depend on it; compute the loss from the model inside the loss function, or leave '${v.name}' out of 'include'`,
            );
          }
          grads.set(v.name, toOutIn(g.dataSync(), v.shape, v.layout));
        }
      });
    } catch (e) {
      if (e instanceof LiftError) throw e;
      const names = targets.map((v) => v.name);
      const why = String((e as Error)?.message ?? e).split('\n')[0];
      throw new HostError(names[0] ?? '', `tfjs failed computing the loss and the gradients of ${names.join(', ')}: ${why}`, { variables: names });
    }
    this.grads = grads;
    return value;
  }

  private get(name: string): HostVariable {
    const v = this.byName.get(name);
    if (!v) throw new HostError(name, `the tfjs host has no variable '${name}'; it tunes: ${[...this.byName.keys()].join(', ')}`);
    return v;
  }
}
