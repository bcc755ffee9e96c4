/**
 * Training graphs on the backend: for each batch shape, the model's training graph with every
 * target bound as its parametrization says, its backward, and the compiled executable. Sessions
 * are cached per shape; feeds are refilled in place every run.
 */
import type { Backend, BackendCapabilities, CompileOptions, Executable, GraphBinding, TrainableTarget } from '../contracts.js';
import { grad } from '../autodiff/grad.js';
import type { Batch } from '../data/batch.js';
import type { Value } from '../graph/graph.js';
import type { ModelConfig } from '../model/config.js';
import { buildLlamaTrainingGraph } from '../model/llama.js';
import { frozen } from '../model/params.js';
import type { Rng } from '../rng.js';
import { type Tensor, tensor } from '../tensor.js';

export interface StepOutputs {
  /** Mean token loss of the batch. */
  loss: number;
  /** Tokens the loss counted. */
  count: number;
  /** Gradient of each optimizer vector (fresh arrays, owned by the caller). */
  grads: Map<string, Float32Array>;
}

class Session {
  private readonly ids: BigInt64Array;
  private readonly mask: BigInt64Array;
  private readonly labels: BigInt64Array;

  constructor(
    private readonly exe: Executable,
    private readonly lossName: string,
    private readonly countName: string,
    /** Graph output name of each optimizer vector's gradient. */
    private readonly gradNames: Map<string, string>,
    private readonly bindings: readonly GraphBinding[],
    size: number,
  ) {
    this.ids = new BigInt64Array(size);
    this.mask = new BigInt64Array(size);
    this.labels = new BigInt64Array(size);
  }

  /** Forward and backward on one batch; `rng` draws what training draws (dropout), absent in evaluation. */
  async run(batch: Batch, rng?: Rng): Promise<StepOutputs> {
    const shape = batch.inputIds.shape;
    const feeds: Record<string, Tensor> = {
      input_ids: tensor('int64', shape, toInt64(batch.inputIds.data, this.ids)),
      attention_mask: tensor('int64', shape, toInt64(batch.attentionMask.data, this.mask)),
      labels: tensor('int64', shape, toInt64(batch.labels.data, this.labels)),
    };
    for (const b of this.bindings) b.feed(feeds, rng);
    const out = await this.exe.run(feeds);
    const grads = new Map<string, Float32Array>();
    for (const [vector, name] of this.gradNames) grads.set(vector, out[name]!.data as Float32Array);
    return { loss: (out[this.lossName]!.data as Float32Array)[0]!, count: (out[this.countName]!.data as Float32Array)[0]!, grads };
  }

  dispose(): Promise<void> {
    return this.exe.dispose();
  }
}

export type { Session as TrainingSession };

/**
 * Activation recomputation of the training graph: 'layers' recomputes each decoder layer's
 * activations from its input during the backward (only layer inputs stay alive between the
 * forward and the backward: less memory, about one more forward per step); 'none' keeps every
 * activation the backward reads. The numbers are the same either way.
 */
export type Recompute = 'layers' | 'none';

export interface TrainingGraphOptions {
  /** Default 'none'. */
  recompute?: Recompute;
}

export class TrainingSessions {
  private readonly cache = new Map<string, Promise<Session>>();
  readonly layout: BackendCapabilities;

  constructor(
    private readonly backend: Backend,
    private readonly config: ModelConfig,
    private readonly weights: ReadonlyMap<string, Tensor<'float32'>>,
    private readonly targets: readonly TrainableTarget[],
    private readonly compile: CompileOptions,
    private readonly graphOptions: TrainingGraphOptions = {},
  ) {
    this.layout = backend.capabilities;
  }

  /** The session for this batch's shape, compiled on first use. */
  get(batch: Batch): Promise<Session> {
    const [B, S] = batch.inputIds.shape as [number, number];
    const key = `${B}x${S}`;
    let s = this.cache.get(key);
    if (!s) {
      s = this.build(B, S);
      this.cache.set(key, s);
    }
    return s;
  }

  /** Drops every compiled session (the targets' structure changed). */
  async invalidate(): Promise<void> {
    const all = [...this.cache.values()];
    this.cache.clear();
    for (const s of all) await (await s).dispose();
  }

  private async build(batch: number, seqLen: number): Promise<Session> {
    const bindings = new Map(this.targets.map((t) => [t.name, t.bind(this.layout)]));
    const g = buildLlamaTrainingGraph(this.config, {
      batch,
      seqLen,
      weights: (name) => bindings.get(name) ?? frozen(this.weights.get(name)!),
      name: `train-${batch}x${seqLen}`,
    });
    const inputs = [...g.trainable.keys()];
    const recompute = this.graphOptions.recompute === 'layers' ? { recompute: g.layerSegments } : {};
    const dws = grad(g.graph, g.loss, [...g.trainable.values()], recompute);
    const byInput = new Map<string, Value>(inputs.map((name, i) => [name, dws[i]!]));
    const gradOf = (input: string) => {
      const d = byInput.get(input);
      if (!d) throw new Error(`no trainable graph input '${input}'`);
      return d;
    };
    const gradNames = new Map<string, string>();
    const outputs = [g.loss, g.tokenCount];
    // In graph order: the order the builder met the parameters.
    for (const [name, param] of g.params) {
      const b = bindings.get(name);
      if (!b) continue;
      for (const [vector, v] of b.gradients(gradOf, param.io)) {
        gradNames.set(vector, v.name);
        outputs.push(v);
      }
    }
    const exe = await this.backend.compile(g.graph, outputs, this.compile);
    return new Session(exe, g.loss.name, g.tokenCount.name, gradNames, [...bindings.values()], batch * seqLen);
  }
}

/** Int32 → int64 into `out` (the session's buffer, reused every step). */
function toInt64(a: Int32Array, out: BigInt64Array): BigInt64Array {
  for (let i = 0; i < a.length; i++) out[i] = BigInt(a[i]!);
  return out;
}
