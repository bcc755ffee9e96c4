import assert from 'node:assert/strict';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { grad } from '../../../src/core/autodiff/grad.js';
import { Graph } from '../../../src/core/graph/graph.js';
import * as op from '../../../src/core/graph/ops.js';
import { buildLlamaTrainingGraph } from '../../../src/core/model/llama.js';
import { type ParamSource, frozen } from '../../../src/core/model/params.js';
import { denseSource } from '../../../src/plugins/dense/index.js';
import { sparseSource } from '../../../src/plugins/sparse/index.js';
import { Rng } from '../../../src/core/rng.js';
import { type Tensor, tensor } from '../../../src/core/tensor.js';
import { ids, int64, llamaConfig, randomWeights } from '../../core/model/helpers.js';

describe('ONNX Runtime backend: large initializers bound in place on CPU', () => {
  it('gives the outputs of embedding them (to float32 rounding: the runtime prepacks only embedded GEMM weights), reading the host buffer without a copy', async () => {
    const rng = new Rng(1);
    const w = tensor('float32', [256, 512], Float32Array.from({ length: 256 * 512 }, () => rng.normal()));
    const g = new Graph('bound');
    const x = g.input('x', 'float32', [4, 512]);
    const y = op.gemm(x, g.initializer('w', w), undefined, { transB: true });
    const feeds = { x: tensor('float32', [4, 512], Float32Array.from({ length: 4 * 512 }, () => rng.normal())) };
    const bound = await new OnnxRuntimeBackend({ bindInitializersFrom: 1024 }).compile(g, [y]);
    const embedded = await new OnnxRuntimeBackend({ bindInitializersFrom: Infinity }).compile(g, [y]);
    // the bound initializer is not an input callers feed
    assert.deepEqual(bound.inputs.map((i) => i.name), ['x']);
    const a = (await bound.run(feeds))[y.name]!.data as Float32Array;
    const b = (await embedded.run(feeds))[y.name]!.data as Float32Array;
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-5 * (1 + Math.abs(b[i]!)), `entry ${i}: ${a[i]} vs ${b[i]}`);
    // in place: the session sees the host array (which is why such a tensor must stay unmodified)
    w.data.fill(0);
    assert.ok((await bound.run(feeds))[y.name]!.data.every((v) => v === 0));
    assert.deepEqual((await embedded.run(feeds))[y.name]!.data, b);
    await bound.dispose();
    await embedded.dispose();
  });
});

describe('sparse parametrization fed in place (what the trainer does on CPU)', () => {
  it('matches the initializer + scatter graph bitwise: loss and the k gradient values', async () => {
    const config = llamaConfig({ vocabSize: 64, hiddenSize: 32, intermediateSize: 48, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 8 });
    const weights = randomWeights(config, 3, 0.1);
    const target = 'model.layers.1.mlp.up_proj.weight';
    const w = weights.get(target)!;
    const rng = new Rng(4);
    const k = 300;
    const indices = Int32Array.from(rng.shuffle(Array.from({ length: w.data.length }, (_, i) => i)).slice(0, k)).sort();
    const values = Float32Array.from(indices, (i) => w.data[i]! + 0.01 * rng.normal());
    const [B, S] = [2, 6];
    const feedsBase: Record<string, Tensor> = {
      input_ids: int64(ids(rng, B, S, config.vocabSize)),
      attention_mask: int64([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]]),
      labels: int64(ids(rng, B, S, config.vocabSize)),
    };
    const backend = new OnnxRuntimeBackend({});

    // scatter: frozen W initializer, values scattered at the mask
    const sc = buildLlamaTrainingGraph(config, {
      batch: B,
      seqLen: S,
      weights: (name): ParamSource => (name === target ? sparseSource(w, indices) : frozen(weights.get(name)!)),
    });
    const [gv] = grad(sc.graph, sc.loss, [...sc.trainable.values()]);
    const exeS = await backend.compile(sc.graph, [sc.loss, gv!]);
    const outS = await exeS.run({ ...feedsBase, [[...sc.trainable.keys()][0]!]: tensor('float32', [k], values) });

    // in place: W with the values written in fed as an input, its gradient gathered at the mask
    const master = Float32Array.from(w.data);
    indices.forEach((i, j) => (master[i] = values[j]!));
    const ip = buildLlamaTrainingGraph(config, {
      batch: B,
      seqLen: S,
      weights: (name): ParamSource => (name === target ? denseSource() : frozen(weights.get(name)!)),
    });
    const [dw] = grad(ip.graph, ip.loss, [ip.trainable.get(target)!]);
    const idx = ip.graph.input('idx', 'int64', [k]);
    const gathered = op.gather(op.reshape(dw!, [w.data.length]), idx, 0);
    const exeI = await backend.compile(ip.graph, [ip.loss, gathered]);
    const outI = await exeI.run({
      ...feedsBase,
      [target]: tensor('float32', w.shape, master),
      idx: tensor('int64', [k], BigInt64Array.from(indices, (i) => BigInt(i))),
    });

    assert.deepEqual(outI[ip.loss.name]!.data, outS[sc.loss.name]!.data);
    assert.deepEqual(outI[gathered.name]!.data, outS[gv!.name]!.data);
    await exeS.dispose();
    await exeI.dispose();
  });
});
