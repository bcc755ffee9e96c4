import { strict as assert } from 'node:assert';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { grad } from '../../../src/core/autodiff/grad.js';
import { Graph } from '../../../src/core/graph/graph.js';
import * as op from '../../../src/core/graph/ops.js';
import { Rng } from '../../../src/core/rng.js';
import { type Tensor, tensor } from '../../../src/core/tensor.js';

/** Three Gaussian blobs in the plane, one class each. */
function blobs(rng: Rng, perClass: number): { x: Tensor; labels: Tensor } {
  const n = 3 * perClass;
  const x = new Float32Array(2 * n);
  const labels = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    const angle = (2 * Math.PI * c) / 3;
    x[2 * i] = 2 * Math.cos(angle) + 0.5 * rng.normal();
    x[2 * i + 1] = 2 * Math.sin(angle) + 0.5 * rng.normal();
    labels[i] = BigInt(c);
  }
  return { x: tensor('float32', [n, 2], x), labels: tensor('int64', [n, 1], labels) };
}

function randn(rng: Rng, shape: number[], scale: number): Tensor {
  const t = tensor('float32', shape);
  const d = t.data as Float32Array;
  for (let i = 0; i < d.length; i++) d[i] = scale * rng.normal();
  return t;
}

describe('autodiff composite: a two-layer MLP trained by SGD through ONNX Runtime', () => {
  it('softmax cross-entropy on three blobs falls by more than 90%', async () => {
    const rng = new Rng(2024);
    const { x, labels } = blobs(rng, 30);
    const N = x.shape[0]!;
    const [D, H, C] = [2, 16, 3];

    const g = new Graph('mlp');
    const xv = g.input('x', 'float32', [N, D]);
    const yv = g.input('labels', 'int64', [N, 1]);
    const w1 = g.input('w1', 'float32', [D, H]);
    const b1 = g.input('b1', 'float32', [H]);
    const w2 = g.input('w2', 'float32', [H, C]);
    const b2 = g.input('b2', 'float32', [C]);
    const hidden = op.tanh(op.add(op.matmul(xv, w1), b1));
    const logProbs = op.logSoftmax(op.gemm(hidden, w2, b2), 1);
    const loss = op.neg(op.reduceMean(op.gatherElements(logProbs, yv, 1), [0, 1]));
    const params = [w1, b1, w2, b2];
    const grads = grad(g, loss, params);
    const exe = await new OnnxRuntimeBackend().compile(g, [loss, ...grads]);

    const values: Record<string, Tensor> = {
      w1: randn(rng, [D, H], 0.5),
      b1: tensor('float32', [H]),
      w2: randn(rng, [H, C], 0.3),
      b2: tensor('float32', [C]),
    };
    const lr = 0.5;
    const losses: number[] = [];
    for (let step = 0; step < 200; step++) {
      const out = await exe.run({ x, labels, ...values });
      losses.push((out[loss.name]!.data as Float32Array)[0]!);
      params.forEach((p, i) => {
        const w = values[p.name]!.data as Float32Array;
        const d = out[grads[i]!.name]!.data as Float32Array;
        for (let k = 0; k < w.length; k++) w[k]! -= lr * d[k]!;
      });
    }
    await exe.dispose();
    const [first, last] = [losses[0]!, losses[losses.length - 1]!];
    if (process.env.GRADCHECK_VERBOSE) console.log(`    MLP loss ${first} → ${last}`);
    assert.ok(Number.isFinite(last) && last <= 0.1 * first, `loss went from ${first} to ${last}`);
  });
});
