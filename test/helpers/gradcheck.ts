/**
 * Finite-difference gradient checking for the autodiff rules, through the ONNX Runtime backend.
 *
 * The graph's output is made a scalar by a fixed random projection, L = Σ out·R (R a seeded
 * normal constant), so every output element bears on the check. The analytic gradients come from
 * grad() on L; the numeric ones from central differences, (L(x+ε·e_i) − L(x−ε·e_i)) / 2ε, each
 * evaluated by one forward-only session compiled once and re-run per perturbed element.
 *
 * Error measure, per element i of a gradient with analytic a and numeric n:
 *
 *     err_i = |a_i − n_i| / max(|a_i| + |n_i|, 1e−3·G),    G = max_j max(|a_j|, |n_j|)
 *
 * That is a relative error for every element within a thousandth of the gradient's largest, and
 * for smaller ones (exact zeros included) an error relative to 1e−3·G: central differences carry
 * rounding noise of about ulp(L)/ε there, which would otherwise make a zero look 100% wrong.
 * The check reports and asserts the maximum over all elements of all requested gradients.
 */
import { strict as assert } from 'node:assert';
import { OnnxRuntimeBackend } from '../../src/adapters/backends/onnxruntime/backend.js';
import type { Executable } from '../../src/core/contracts.js';
import { grad } from '../../src/core/autodiff/grad.js';
import { Graph, type Value } from '../../src/core/graph/graph.js';
import * as op from '../../src/core/graph/ops.js';
import { Rng } from '../../src/core/rng.js';
import { type DType, type Tensor, isFloat, numel, tensor } from '../../src/core/tensor.js';

export interface GradcheckOptions {
  /** Names of the inputs to check; default every float input the build returned. */
  wrt?: readonly string[];
  /** Central-difference step. */
  eps?: number;
  /** Largest err (see above) accepted; the check throws an AssertionError beyond it. */
  rtol?: number;
  /** Seed of the projection R. */
  seed?: number;
}

export interface GradcheckResult {
  maxRelError: number;
  perInput: Record<string, { maxRelError: number; worst: number; analytic: number[]; numeric: number[] }>;
}

const backend = new OnnxRuntimeBackend({ graphOptimizationLevel: 'all', intraOpThreads: 1 });

/** Every check's result, for a summary of the errors seen (GRADCHECK_VERBOSE=1 prints each). */
export const gradcheckLog: { name: string; maxRelError: number; dtype: DType }[] = [];

export async function gradcheck(
  build: (g: Graph) => { inputs: Value[]; loss: Value },
  feeds: Record<string, Tensor>,
  options: GradcheckOptions = {},
): Promise<GradcheckResult> {
  const eps = options.eps ?? 1e-6;
  const rtol = options.rtol ?? 1e-6;
  const g = new Graph('gradcheck');
  const { inputs, loss: out } = build(g);
  const wrt = options.wrt ? options.wrt.map((name) => findInput(inputs, name)) : inputs.filter((v) => isFloat(v.dtype));

  const rng = new Rng(options.seed ?? 1234);
  // float32-representable, so a float32 graph projects by exactly the R the host uses.
  const R = tensor('float64', out.shape, Float64Array.from({ length: numel(out.shape) }, () => Math.fround(rng.normal())));
  const projection = op.constant(g, out.dtype === 'float64' ? R : { ...R, dtype: out.dtype, data: Float32Array.from(R.data) }, 'projection');
  const loss = op.reduceSum(op.mul(out, projection), out.shape.map((_, i) => i));
  const grads = grad(g, loss, wrt);

  const backward = await backend.compile(g, [out, ...grads]);
  const forward = await backend.compile(g, [out]);
  try {
    const analytic = await backward.run(feedsFor(backward, feeds));
    const result: GradcheckResult = { maxRelError: 0, perInput: {} };
    for (let w = 0; w < wrt.length; w++) {
      const x = wrt[w]!;
      const a = Array.from(analytic[grads[w]!.name]!.data as Float64Array, Number);
      const n = await numericGradient(forward, feeds, x.name, out.name, R.data, eps);
      const { max, worst } = relError(a, n);
      result.perInput[x.name] = { maxRelError: max, worst, analytic: a, numeric: n };
      result.maxRelError = Math.max(result.maxRelError, max);
    }
    const label = `${out.producer?.op ?? out.name}(${wrt.map((v) => `${v.name}${v.dtype === 'float64' ? '' : `:${v.dtype}`}`).join(', ')})`;
    gradcheckLog.push({ name: label, maxRelError: result.maxRelError, dtype: out.dtype });
    if (process.env.GRADCHECK_VERBOSE) console.log(`    gradcheck ${label}: max rel error ${result.maxRelError.toExponential(2)}`);
    for (const [name, r] of Object.entries(result.perInput)) {
      assert.ok(
        r.maxRelError <= rtol,
        `d/d${name}: max relative error ${r.maxRelError.toExponential(3)} > ${rtol} at element ${r.worst} ` +
          `(analytic ${r.analytic[r.worst]}, numeric ${r.numeric[r.worst]})`,
      );
    }
    return result;
  } finally {
    await backward.dispose();
    await forward.dispose();
  }
}

function findInput(inputs: readonly Value[], name: string): Value {
  const v = inputs.find((i) => i.name === name);
  if (!v) throw new Error(`gradcheck: no input '${name}' among ${inputs.map((i) => i.name).join(', ')}`);
  return v;
}

/** The feeds a session takes (sessions drop inputs their outputs do not depend on). */
function feedsFor(exe: Executable, feeds: Record<string, Tensor>): Record<string, Tensor> {
  return Object.fromEntries(exe.inputs.map((s) => [s.name, feeds[s.name]!]));
}

async function numericGradient(
  forward: Executable,
  feeds: Record<string, Tensor>,
  name: string,
  outName: string,
  R: Float64Array,
  eps: number,
): Promise<number[]> {
  const orig = feeds[name]!;
  const data = orig.data.slice() as Float64Array | Float32Array;
  const local = { ...feedsFor(forward, feeds), [name]: { ...orig, data } as Tensor };
  if (!forward.inputs.some((s) => s.name === name)) return new Array<number>(data.length).fill(0);
  const result: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    data[i] = x + eps;
    const hi = data[i]!;
    const plus = (await forward.run(local))[outName]!.data as Float64Array;
    data[i] = x - eps;
    const lo = data[i]!;
    const minus = (await forward.run(local))[outName]!.data as Float64Array;
    data[i] = x;
    // Projecting the difference of the outputs, not differencing two projected sums, keeps the
    // cancellation per element; the actual step (hi − lo) allows for float32 rounding of x ± ε.
    let d = 0;
    for (let k = 0; k < R.length; k++) d += R[k]! * (plus[k]! - minus[k]!);
    result.push(d / (hi - lo));
  }
  return result;
}

function relError(a: readonly number[], n: readonly number[]): { max: number; worst: number } {
  let G = 0;
  for (let i = 0; i < a.length; i++) G = Math.max(G, Math.abs(a[i]!), Math.abs(n[i]!));
  if (a.some((v) => !Number.isFinite(v)) || n.some((v) => !Number.isFinite(v))) {
    const worst = a.findIndex((v, i) => !Number.isFinite(v) || !Number.isFinite(n[i]!));
    return { max: Infinity, worst };
  }
  if (G === 0) return { max: 0, worst: 0 };
  let max = 0;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i]! - n[i]!) / Math.max(Math.abs(a[i]!) + Math.abs(n[i]!), 1e-3 * G);
    if (e > max) {
      max = e;
      worst = i;
    }
  }
  return { max, worst };
}

// ---------------------------------------------------------------- random feeds

/** A seeded tensor, uniform in [lo, hi). */
export function uniform(rng: Rng, shape: readonly number[], lo = -1, hi = 1, dtype: 'float64' | 'float32' = 'float64'): Tensor {
  const n = numel(shape);
  const data = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.uniform(lo, hi);
  return tensor(dtype, shape, data);
}

/** An int64 index tensor from plain numbers. */
export function int64Tensor(shape: readonly number[], values: readonly number[]): Tensor {
  return tensor('int64', shape, BigInt64Array.from(values.map((v) => BigInt(v))));
}
