/**
 * The graph IR: typed values with static dtype and shape over the ONNX operator set.
 * A Graph owns its inputs, initializers (frozen tensors embedded in the model) and nodes in
 * topological order (nodes are appended after their inputs exist).
 */
import { GraphBuildError } from '../errors.js';
import { type DType, type Tensor, shapeToString } from '../tensor.js';

export type AttrValue = number | string | number[] | string[] | Tensor | { float: number } | { floats: number[] };

export interface Node {
  readonly op: string;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  readonly attrs: Readonly<Record<string, AttrValue>>;
  readonly domain?: string;
}

export type ValueKind = 'input' | 'initializer' | 'constant' | 'node';

export class Value {
  constructor(
    readonly graph: Graph,
    readonly name: string,
    readonly dtype: DType,
    readonly shape: readonly number[],
    readonly kind: ValueKind,
    /** The node that computes this value (kind 'node' and 'constant'). */
    public producer?: Node,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `${this.name}: ${this.dtype}${shapeToString(this.shape)}`;
  }
}

export class Graph {
  readonly inputs: Value[] = [];
  readonly initializers = new Map<string, { value: Value; tensor: Tensor }>();
  readonly nodes: Node[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(readonly name = 'graph') {}

  /** A unique value name with the given stem. */
  fresh(stem: string): string {
    let name = stem;
    while (this.names.has(name)) name = `${stem}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  private reserve(name: string): void {
    if (this.names.has(name)) throw new GraphBuildError(`value name '${name}' is already used in graph '${this.name}'`);
    this.names.add(name);
  }

  /** A graph input fed at run time. */
  input(name: string, dtype: DType, shape: readonly number[]): Value {
    this.reserve(name);
    const v = new Value(this, name, dtype, [...shape], 'input');
    this.inputs.push(v);
    return v;
  }

  /** A frozen tensor embedded in the model as an initializer (uploaded to the device once). */
  initializer(name: string, tensor: Tensor): Value {
    this.reserve(name);
    const v = new Value(this, name, tensor.dtype, [...tensor.shape], 'initializer');
    this.initializers.set(name, { value: v, tensor });
    return v;
  }

  /** Appends a node; outputs are declared with their inferred dtype and shape. */
  addNode(
    op: string,
    inputs: readonly Value[],
    outputs: readonly { dtype: DType; shape: readonly number[]; name?: string }[],
    attrs: Record<string, AttrValue> = {},
  ): Value[] {
    for (const v of inputs) {
      if (v.graph !== this) throw new GraphBuildError(`${op}: input '${v.name}' belongs to another graph`);
    }
    const kind: ValueKind = op === 'Constant' ? 'constant' : 'node';
    const outs = outputs.map(
      (o) => new Value(this, this.fresh(o.name ?? `${op.toLowerCase()}`), o.dtype, [...o.shape], kind),
    );
    const node: Node = { op, inputs: [...inputs], outputs: outs, attrs };
    for (const v of outs) v.producer = node;
    this.nodes.push(node);
    return outs;
  }

  /** Renames nothing; checks a value can be a graph output and returns it. */
  assertOwned(v: Value): Value {
    if (v.graph !== this) throw new GraphBuildError(`value '${v.name}' belongs to another graph`);
    return v;
  }
}
