/**
 * npm run bench:engine — the engine's raw rates, measured in one run: ONNX Runtime's dense fp32
 * MatMul peak and the forward+backward rate of an MLP training step built by lift-sft's autodiff.
 */
import { OnnxRuntimeBackend } from '../src/adapters/backends/onnxruntime/backend.js';
import { grad } from '../src/core/autodiff/grad.js';
import { Graph } from '../src/core/graph/graph.js';
import * as op from '../src/core/graph/ops.js';
import { Rng } from '../src/core/rng.js';
import { tensor } from '../src/core/tensor.js';
import { matmulPeak } from './matmul-peak.js';
import { machine, median, timeRuns, writeResult } from './util.js';

async function mlpStep(backend: OnnxRuntimeBackend, batch: number, dIn: number, dHidden: number, dOut: number, repeats = 10) {
  const g = new Graph('mlp_step');
  const x = g.input('x', 'float32', [batch, dIn]);
  const labels = g.input('labels', 'int64', [batch, 1]);
  const w1 = g.input('w1', 'float32', [dHidden, dIn]);
  const w2 = g.input('w2', 'float32', [dOut, dHidden]);
  const h = op.tanh(op.gemm(x, w1, undefined, { transB: true }));
  const logits = op.gemm(h, w2, undefined, { transB: true });
  const nll = op.neg(op.gatherElements(op.logSoftmax(logits, 1), labels, 1));
  const loss = op.reduceMean(nll, [0, 1]);
  const [g1, g2] = grad(g, loss, [w1, w2]);
  const exe = await backend.compile(g, [loss, g1!, g2!]);
  const rng = new Rng(2);
  const randn = (n: number, s: number) => Float32Array.from({ length: n }, () => rng.normal() * s);
  const feeds = {
    x: tensor('float32', [batch, dIn], randn(batch * dIn, 1)),
    labels: tensor('int64', [batch, 1], BigInt64Array.from({ length: batch }, () => BigInt(rng.int(dOut)))),
    w1: tensor('float32', [dHidden, dIn], randn(dHidden * dIn, 1 / Math.sqrt(dIn))),
    w2: tensor('float32', [dOut, dHidden], randn(dOut * dHidden, 1 / Math.sqrt(dHidden))),
  };
  const times = await timeRuns(() => exe.run(feeds), repeats);
  await exe.dispose();
  const med = median(times);
  // Forward 2·B·P, backward 4·B·P (dX and dW per layer; dX of the first layer is not built).
  const params = dHidden * dIn + dOut * dHidden;
  const flops = 6 * batch * params - 2 * batch * dHidden * dIn;
  return { batch, dIn, dHidden, dOut, medianSeconds: med, gflops: flops / med / 1e9, runs: repeats };
}

const backend = new OnnxRuntimeBackend({ executionProvider: 'cpu' });
const peak = await matmulPeak(backend, 1024, 1024, 1024);
const mlp = await mlpStep(backend, 1024, 1024, 4096, 1024);
const result = {
  benchmark: 'engine',
  createdAt: new Date().toISOString(),
  machine: machine(),
  matmul1024: peak,
  mlpTrainingStep: mlp,
  mlpToMatmulRatio: mlp.gflops / peak.gflops,
};
const path = writeResult('engine', result);
console.log(`MatMul 1024x1024x1024 fp32: ${peak.gflops.toFixed(1)} GFLOP/s (median ${(peak.medianSeconds * 1e3).toFixed(2)} ms)`);
console.log(`MLP fwd+bwd step (batch ${mlp.batch}, ${mlp.dIn}-${mlp.dHidden}-${mlp.dOut}): ${mlp.gflops.toFixed(1)} GFLOP/s (median ${(mlp.medianSeconds * 1e3).toFixed(1)} ms)`);
console.log(`ratio MLP/MatMul: ${result.mlpToMatmulRatio.toFixed(3)}`);
console.log(`wrote ${path}`);
