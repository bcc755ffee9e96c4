/**
 * Symbolic dimensions and shape inference over them, for graphs whose sizes are chosen at run
 * time (an exported decoder: batch, sequence and past length are free).
 *
 * The IR itself stays static: a graph is built at witness sizes (any concrete values), which
 * checks every op's shapes as usual. This pass then re-infers every shape with the free sizes as
 * symbols, from the graph inputs' declared dimensions. It proves the graph holds no witness size:
 * a Reshape target, Expand shape or Slice bound that baked one in shows up as a dimension that
 * does not follow from the symbols (element counts that differ, a broadcast of unequal sizes),
 * and fails naming the node. Its result gives the graph outputs their symbolic dimensions, and
 * every inferred dimension is checked against the witness shape the builder inferred.
 *
 * A dimension is a polynomial in the symbols with integer coefficients (batch·3·seq, past + seq),
 * which is what Reshape, Concat and broadcasting produce. Only the ops with a rule below are
 * supported; any other op fails, naming it.
 */
import { GraphBuildError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { type Graph, type Node, type Value } from './graph.js';
import { liveNodes } from './onnx.js';

/** A polynomial in named sizes: monomial key (sorted symbol names joined by '*', '' for 1) → coefficient. */
export class SymDim {
  private constructor(readonly terms: ReadonlyMap<string, number>) {}

  static of(terms: Map<string, number>): Dim {
    for (const [k, c] of terms) if (c === 0) terms.delete(k);
    if (terms.size === 0) return 0;
    if (terms.size === 1 && terms.has('')) return terms.get('')!;
    return new SymDim(terms);
  }

  toString(): string {
    const keys = [...this.terms.keys()].sort((a, b) => (a === '' ? 1 : b === '' ? -1 : a < b ? -1 : 1));
    return keys
      .map((k, i) => {
        const c = this.terms.get(k)!;
        const sign = c < 0 ? (i === 0 ? '-' : ' - ') : i === 0 ? '' : ' + ';
        const a = Math.abs(c);
        const body = k === '' ? String(a) : a === 1 ? k.replaceAll('*', ' * ') : `${a} * ${k.replaceAll('*', ' * ')}`;
        return sign + body;
      })
      .join('');
  }
}

export type Dim = number | SymDim;

/** A free size named `name` (an ONNX dim_param). */
export function sym(name: string): SymDim {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new GraphBuildError(`symbol name '${name}' must be an identifier`);
  return SymDim.of(new Map([[name, 1]])) as SymDim;
}

function termsOf(d: Dim): Map<string, number> {
  return typeof d === 'number' ? new Map(d === 0 ? [] : [['', d]]) : new Map(d.terms);
}

export function dimAdd(a: Dim, b: Dim): Dim {
  const t = termsOf(a);
  for (const [k, c] of termsOf(b)) t.set(k, (t.get(k) ?? 0) + c);
  return SymDim.of(t);
}

export function dimSub(a: Dim, b: Dim): Dim {
  return dimAdd(a, dimMul(b, -1));
}

function monomialProduct(a: string, b: string): string {
  return [...(a ? a.split('*') : []), ...(b ? b.split('*') : [])].sort().join('*');
}

export function dimMul(a: Dim, b: Dim): Dim {
  const t = new Map<string, number>();
  for (const [ka, ca] of termsOf(a)) {
    for (const [kb, cb] of termsOf(b)) {
      const k = monomialProduct(ka, kb);
      t.set(k, (t.get(k) ?? 0) + ca * cb);
    }
  }
  return SymDim.of(t);
}

const symsOf = (k: string): string[] => (k ? k.split('*') : []);

/** Graded lexicographic order of monomials: higher degree first, then the larger exponent of the first symbol that differs. */
function monomialCompare(a: string, b: string): number {
  const sa = symsOf(a);
  const sb = symsOf(b);
  if (sa.length !== sb.length) return sb.length - sa.length;
  const names = [...new Set([...sa, ...sb])].sort();
  for (const n of names) {
    const d = sb.filter((x) => x === n).length - sa.filter((x) => x === n).length;
    if (d !== 0) return d;
  }
  return 0;
}

/** m / n for monomials, or undefined when n does not divide m. */
function monomialQuotient(m: string, n: string): string | undefined {
  const rest = symsOf(m);
  for (const s of symsOf(n)) {
    const i = rest.indexOf(s);
    if (i < 0) return undefined;
    rest.splice(i, 1);
  }
  return rest.join('*');
}

const leading = (t: Map<string, number>): [string, number] => [...t].sort((x, y) => monomialCompare(x[0], y[0]))[0]!;

/**
 * a / b when b divides a exactly (polynomial long division in graded lexicographic order, so
 * batch·3·seq·(past + seq) / (batch·(past + seq)) = 3·seq); undefined otherwise.
 */
export function dimDiv(a: Dim, b: Dim): Dim | undefined {
  const divisor = termsOf(b);
  if (divisor.size === 0) return undefined;
  const [bk, bc] = leading(divisor);
  let rest = termsOf(a);
  const q = new Map<string, number>();
  while (rest.size > 0) {
    const [rk, rc] = leading(rest);
    const k = monomialQuotient(rk, bk);
    if (k === undefined || rc % bc !== 0) return undefined;
    q.set(k, (q.get(k) ?? 0) + rc / bc);
    const next = termsOf(dimSub(SymDim.of(rest), dimMul(SymDim.of(new Map([[k, rc / bc]])), b)));
    rest = next;
  }
  return SymDim.of(q);
}

export function dimEq(a: Dim, b: Dim): boolean {
  const d = dimSub(a, b);
  return d === 0;
}

export function dimProduct(dims: readonly Dim[]): Dim {
  return dims.reduce<Dim>((p, d) => dimMul(p, d), 1);
}

/** The dimension's value when every symbol takes the given size. */
export function dimValue(d: Dim, sizes: ReadonlyMap<string, number>): number {
  if (typeof d === 'number') return d;
  let v = 0;
  for (const [k, c] of d.terms) {
    let m = c;
    for (const s of k ? k.split('*') : []) {
      const x = sizes.get(s);
      if (x === undefined) throw new GraphBuildError(`symbol '${s}' has no size`);
      m *= x;
    }
    v += m;
  }
  return v;
}

/** ONNX form of a dimension: a number, or its dim_param text. */
export function dimParam(d: Dim): number | string {
  return typeof d === 'number' ? d : d.toString();
}

export const formatDims = (dims: readonly Dim[]) => `[${dims.map((d) => String(d)).join(', ')}]`;

// ---------------------------------------------------------------- inference

export interface SymbolicShapes {
  /** Symbolic dimensions of every value the outputs depend on. */
  dims(v: Value): Dim[];
  /** The size each symbol took in the witness graph. */
  witness: ReadonlyMap<string, number>;
}

/**
 * Infers the symbolic shape of every value the outputs depend on, given the symbolic dimensions
 * of the graph inputs (inputs not named have their static shape), and checks each against the
 * static shape the graph was built with.
 */
export function inferSymbolicShapes(graph: Graph, outputs: readonly Value[], inputDims: ReadonlyMap<string, readonly Dim[]>): SymbolicShapes {
  const dims = new Map<Value, Dim[]>();
  const witness = new Map<string, number>();
  for (const v of graph.inputs) {
    const d = inputDims.get(v.name);
    if (!d) {
      dims.set(v, [...v.shape]);
      continue;
    }
    if (d.length !== v.rank) throw new GraphBuildError(`input '${v.name}' is declared with ${d.length} dimensions, its shape has ${v.rank}`);
    d.forEach((x, i) => {
      if (x instanceof SymDim && x.terms.size === 1 && x.terms.values().next().value === 1) {
        const name = x.terms.keys().next().value as string;
        if (!name.includes('*')) {
          const prev = witness.get(name);
          if (prev !== undefined && prev !== v.shape[i]) throw new GraphBuildError(`symbol '${name}' has witness sizes ${prev} and ${v.shape[i]} (input '${v.name}')`);
          witness.set(name, v.shape[i]!);
        }
      }
    });
    dims.set(v, [...d]);
  }
  const get = (v: Value): Dim[] => {
    const d = dims.get(v);
    if (d) return d;
    if (v.kind === 'initializer') return [...v.shape];
    throw new GraphBuildError(`symbolic shapes: '${v.name}' is used before it is computed`);
  };
  for (const v of graph.inputs) {
    const d = dims.get(v)!;
    check(v, d);
  }
  for (const n of liveNodes(graph, outputs)) {
    const outs = rule(n, get, graph);
    n.outputs.forEach((o, i) => {
      dims.set(o, outs[i]!);
      check(o, outs[i]!, n);
    });
  }

  function check(v: Value, d: readonly Dim[], n?: Node): void {
    const ok = d.length === v.rank && d.every((x, i) => dimValue(x, witness) === v.shape[i]);
    if (!ok) {
      const at = n ? `${n.op} node computing '${v.name}'` : `input '${v.name}'`;
      throw new GraphBuildError(`symbolic shapes: ${at} infers ${formatDims(d)}, which does not give its built shape [${v.shape.join(', ')}]`);
    }
  }
  return { dims: get, witness };
}

function fail(n: Node, problem: string): never {
  throw new GraphBuildError(`symbolic shapes: ${n.op} node computing '${n.outputs[0]?.name}': ${problem}`, { op: n.op });
}

/** The int64/int32 values of a constant or initializer input (shapes, axes, sizes). */
function constInts(n: Node, v: Value | undefined, graph: Graph): number[] {
  if (!v) fail(n, 'a constant input is missing');
  let t: Tensor | undefined;
  if (v.kind === 'constant' && v.producer?.op === 'Constant') t = v.producer.attrs.value as Tensor;
  else if (v.kind === 'initializer') t = graph.initializers.get(v.name)?.tensor;
  if (!t || (t.dtype !== 'int64' && t.dtype !== 'int32')) fail(n, `input '${v.name}' must be a constant int64 tensor`);
  return Array.from(t.data as ArrayLike<number | bigint>, (x) => Number(x));
}

function attrInt(n: Node, name: string, fallback: number): number {
  const a = n.attrs[name];
  return typeof a === 'number' ? a : fallback;
}

const axisOf = (n: Node, axis: number, rank: number): number => {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) fail(n, `axis ${axis} is out of range for rank ${rank}`);
  return a;
};

function broadcast(n: Node, shapes: readonly (readonly Dim[])[]): Dim[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const x = s[i - (rank - s.length)];
      if (x === undefined || x === 1) continue;
      if (d === 1) d = x;
      else if (!dimEq(d, x)) fail(n, `dimensions ${String(d)} and ${String(x)} do not broadcast (${shapes.map(formatDims).join(' with ')})`);
    }
    out.push(d);
  }
  return out;
}

const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Equal', 'Less', 'Greater', 'Where', 'And', 'Or', 'Max', 'Min']);
const SAME_SHAPE = new Set(['Neg', 'Sqrt', 'Reciprocal', 'Exp', 'Log', 'Sigmoid', 'Tanh', 'Sin', 'Cos', 'Abs', 'Identity', 'Cast', 'Softmax', 'LogSoftmax', 'Sign', 'Not', 'CumSum', 'ScatterElements']);

function rule(n: Node, get: (v: Value) => Dim[], graph: Graph): Dim[][] {
  const ins = n.inputs.map(get);
  const x = ins[0]!;
  if (ELEMENTWISE.has(n.op)) return [broadcast(n, ins)];
  if (SAME_SHAPE.has(n.op)) return [[...x]];
  switch (n.op) {
    case 'Constant':
      return [[...(n.attrs.value as Tensor).shape]];
    case 'MatMul': {
      const [a, b] = ins as [Dim[], Dim[]];
      if (a.length < 2 || b.length < 2) fail(n, 'operands must have rank >= 2');
      if (!dimEq(a.at(-1)!, b.at(-2)!)) fail(n, `inner dimensions ${String(a.at(-1))} and ${String(b.at(-2))} differ`);
      return [[...broadcast(n, [a.slice(0, -2), b.slice(0, -2)]), a.at(-2)!, b.at(-1)!]];
    }
    case 'Gemm': {
      const [a, b] = ins as [Dim[], Dim[]];
      const [m, ka] = attrInt(n, 'transA', 0) ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
      const [kb, nn] = attrInt(n, 'transB', 0) ? [b[1]!, b[0]!] : [b[0]!, b[1]!];
      if (!dimEq(ka, kb)) fail(n, `inner dimensions ${String(ka)} and ${String(kb)} differ`);
      if (ins[2]) broadcast(n, [ins[2], [m, nn]]);
      return [[m, nn]];
    }
    case 'Gather': {
      const a = axisOf(n, attrInt(n, 'axis', 0), x.length);
      return [[...x.slice(0, a), ...ins[1]!, ...x.slice(a + 1)]];
    }
    case 'GatherElements':
      return [[...ins[1]!]];
    case 'Transpose': {
      const perm = (n.attrs.perm as number[] | undefined) ?? x.map((_, i) => x.length - 1 - i);
      return [perm.map((p) => x[p]!)];
    }
    case 'Reshape': {
      const target = constInts(n, n.inputs[1], graph);
      let infer = -1;
      const out: Dim[] = target.map((t, i) => {
        if (t === -1) {
          infer = i;
          return 1;
        }
        if (t === 0) {
          if (i >= x.length) fail(n, `target [${target.join(', ')}] copies dimension ${i} the input lacks`);
          return x[i]!;
        }
        return t;
      });
      const total = dimProduct(x);
      if (infer >= 0) {
        const rest = dimDiv(total, dimProduct(out));
        if (rest === undefined) fail(n, `target [${target.join(', ')}] cannot divide the input ${formatDims(x)} for its -1`);
        out[infer] = rest;
      }
      if (!dimEq(dimProduct(out), total)) fail(n, `target [${target.join(', ')}] gives ${formatDims(out)}, not the element count of the input ${formatDims(x)}: a size is baked in`);
      return [out];
    }
    case 'Concat': {
      const a = axisOf(n, attrInt(n, 'axis', 0), x.length);
      const out = [...x];
      for (const s of ins.slice(1)) {
        if (s.length !== x.length) fail(n, 'inputs differ in rank');
        s.forEach((d, i) => {
          if (i === a) out[a] = dimAdd(out[a]!, d);
          else if (!dimEq(d, out[i]!)) fail(n, `dimension ${i} differs: ${String(d)} and ${String(out[i])}`);
        });
      }
      return [out];
    }
    case 'Split': {
      const a = axisOf(n, attrInt(n, 'axis', 0), x.length);
      const sizes = constInts(n, n.inputs[1], graph);
      if (!dimEq(sizes.reduce((s, d) => s + d, 0), x[a]!)) fail(n, `sizes [${sizes.join(', ')}] do not split dimension ${String(x[a])}`);
      return sizes.map((s) => x.map((d, i) => (i === a ? s : d)));
    }
    case 'Unsqueeze': {
      const rank = x.length + constInts(n, n.inputs[1], graph).length;
      const axes = constInts(n, n.inputs[1], graph).map((v) => axisOf(n, v, rank));
      const out: Dim[] = [];
      let j = 0;
      for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : x[j++]!);
      return [out];
    }
    case 'Squeeze': {
      const axes = constInts(n, n.inputs[1], graph).map((v) => axisOf(n, v, x.length));
      for (const a of axes) if (x[a] !== 1) fail(n, `axis ${a} has size ${String(x[a])}, not 1`);
      return [x.filter((_, i) => !axes.includes(i))];
    }
    case 'ReduceSum':
    case 'ReduceMean':
    case 'ReduceMax': {
      const raw = n.op === 'ReduceSum' ? (n.inputs[1] ? constInts(n, n.inputs[1], graph) : []) : ((n.attrs.axes as number[] | undefined) ?? []);
      const axes = (raw.length ? raw : x.map((_, i) => i)).map((v) => axisOf(n, v, x.length));
      const keep = attrInt(n, 'keepdims', 1) === 1;
      const out: Dim[] = [];
      x.forEach((d, i) => {
        if (!axes.includes(i)) out.push(d);
        else if (keep) out.push(1);
      });
      return [out];
    }
    case 'Expand': {
      const target = constInts(n, n.inputs[1], graph);
      return [broadcast(n, [x, target])];
    }
    case 'Slice': {
      const starts = constInts(n, n.inputs[1], graph);
      const ends = constInts(n, n.inputs[2], graph);
      const axes = n.inputs[3] ? constInts(n, n.inputs[3], graph) : starts.map((_, i) => i);
      const steps = n.inputs[4] ? constInts(n, n.inputs[4], graph) : starts.map(() => 1);
      const out = [...x];
      axes.forEach((ax, i) => {
        const a = axisOf(n, ax, x.length);
        const d = x[a]!;
        if (typeof d !== 'number') fail(n, `slicing the free dimension ${String(d)} with constant bounds`);
        const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
        out[a] = Math.max(0, Math.ceil((clamp(ends[i]!) - clamp(starts[i]!)) / steps[i]!));
      });
      return [out];
    }
    default:
      fail(n, 'no symbolic shape rule for this op');
  }
}
