import { strict as assert } from 'node:assert';
import * as ort from 'onnxruntime-node';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { FeedError } from '../../../src/core/errors.js';
import { Graph } from '../../../src/core/graph/graph.js';
import { IR_VERSION, decodeModel, serializeModel } from '../../../src/core/graph/onnx.js';
import * as op from '../../../src/core/graph/ops.js';
import { tensor } from '../../../src/core/tensor.js';

/** y = tanh(x·W + b) · 2, with W an initializer, b a Constant node; and ids gathered from W's rows. */
function buildModel() {
  const g = new Graph('roundtrip');
  const x = g.input('x', 'float32', [2, 3]);
  const ids = g.input('ids', 'int64', [2]);
  const W = tensor('float32', [3, 4], Float32Array.from({ length: 12 }, (_, i) => (i - 5.5) / 6));
  const w = g.initializer('W', W);
  const b = op.constant(g, tensor('float32', [4], Float32Array.from([0.1, -0.2, 0.3, -0.4])), 'bias');
  const y = op.mul(op.tanh(op.add(op.matmul(x, w), b)), op.scalar(g, 2));
  const rows = op.gather(w, ids, 0);
  return { g, x, ids, W, y, rows };
}

function jsForward(X: Float32Array, W: Float32Array, ids: number[]) {
  const bias = [0.1, -0.2, 0.3, -0.4];
  const y: number[] = [];
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 4; j++) {
      let s = Math.fround(bias[j]!);
      for (let k = 0; k < 3; k++) s += X[i * 3 + k]! * W[k * 4 + j]!;
      y.push(2 * Math.tanh(s));
    }
  }
  const rows = ids.flatMap((r) => Array.from(W.subarray(r * 4, r * 4 + 4)));
  return { y, rows };
}

describe('ONNX serialization', () => {
  it('declares the initializers the caller binds as graph inputs, leaving the graph as it is', () => {
    const { g, y, rows } = buildModel();
    const before = g.inputs.map((v) => v.name);
    const { bytes, inputs } = serializeModel(g, { outputs: [y, rows], keepInputs: true, initializerAsInput: (t) => t.data.length === 12 });
    assert.deepEqual(inputs.map((v) => v.name), ['x', 'ids', 'W']);
    assert.deepEqual(g.inputs.map((v) => v.name), before);
    const graph = decodeModel(bytes).graph!;
    assert.deepEqual(graph.input!.map((v) => v.name), ['x', 'ids', 'W']);
    assert.deepEqual(graph.initializer!.map((t) => t.name), []);
  });

  it('round-trips node ops, initializer bytes and input/output shapes and dtypes', () => {
    const { g, W, y, rows } = buildModel();
    const { bytes, outputNames } = serializeModel(g, { outputs: [y, rows] });
    const m = decodeModel(bytes);
    assert.equal(Number(m.irVersion), IR_VERSION);
    assert.deepEqual(m.opsetImport!.map((o) => [o.domain, Number(o.version)]), [['', op.OPSET]]);
    const graph = m.graph!;
    assert.deepEqual(graph.node!.map((n) => n.opType), ['Constant', 'MatMul', 'Add', 'Tanh', 'Constant', 'Mul', 'Gather']);
    assert.equal(graph.initializer!.length, 1);
    const init = graph.initializer![0]!;
    assert.equal(init.name, 'W');
    assert.equal(init.dataType, 1);
    assert.deepEqual(init.dims!.map(Number), [3, 4]);
    assert.deepEqual(new Uint8Array(init.rawData!), new Uint8Array(W.data.buffer, W.data.byteOffset, W.data.byteLength));
    const io = (vs: typeof graph.input) => vs!.map((v) => [v.name, v.type!.tensorType!.elemType, v.type!.tensorType!.shape!.dim!.map((d) => Number(d.dimValue))]);
    assert.deepEqual(io(graph.input), [['x', 1, [2, 3]], ['ids', 7, [2]]]);
    assert.deepEqual(io(graph.output), [[outputNames[0], 1, [2, 4]], [outputNames[1], 1, [2, 4]]]);
    assert.deepEqual(outputNames, [y.name, rows.name]);
  });

  it('loads in onnxruntime-node and computes what plain JS computes', async () => {
    const { g, W, y, rows } = buildModel();
    const { bytes, outputNames } = serializeModel(g, { outputs: [y, rows] });
    const session = await ort.InferenceSession.create(bytes);
    const X = Float32Array.from([0.5, -1, 2, 1.5, 0.25, -0.75]);
    const out = await session.run({ x: new ort.Tensor('float32', X, [2, 3]), ids: new ort.Tensor('int64', BigInt64Array.from([2n, 0n]), [2]) });
    const want = jsForward(X, W.data as Float32Array, [2, 0]);
    const gotY = Array.from(out[outputNames[0]!]!.data as Float32Array);
    gotY.forEach((v, i) => assert.ok(Math.abs(v - want.y[i]!) < 1e-6, `y[${i}] = ${v}, want ${want.y[i]}`));
    assert.deepEqual(Array.from(out[outputNames[1]!]!.data as Float32Array), want.rows);
    await session.release();
  });

  it('gives graph inputs and initializers returned as outputs an Identity', async () => {
    const { g, x, W } = buildModel();
    const w = g.initializers.get('W')!.value;
    const exe = await new OnnxRuntimeBackend().compile(g, [x, w]);
    const X = tensor('float32', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6]));
    const out = await exe.run({ x: X });
    assert.deepEqual(Array.from(out.x!.data as Float32Array), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(Array.from(out.W!.data as Float32Array), Array.from(W.data as Float32Array));
    await exe.dispose();
  });
});

describe('ONNX Runtime backend: feeds are checked', () => {
  it('a feed of the wrong shape or dtype fails naming the input and both shapes', async () => {
    const { g, y } = buildModel();
    const exe = await new OnnxRuntimeBackend().compile(g, [y]);
    const bad = [
      tensor('float32', [3, 2], new Float32Array(6)),
      tensor('float64', [2, 3], new Float64Array(6)),
    ];
    for (const t of bad) {
      await assert.rejects(exe.run({ x: t }), (e: unknown) => {
        assert.ok(e instanceof FeedError, String(e));
        assert.equal(e.code, 'E_FEED');
        assert.ok(e.message.includes("'x'"), e.message);
        assert.ok(e.message.includes('float32[2, 3]'), e.message);
        assert.ok(e.message.includes(`${t.dtype}[${t.shape.join(', ')}]`), e.message);
        return true;
      });
    }
    await assert.rejects(exe.run({}), (e: unknown) => e instanceof FeedError && e.message.includes("missing input 'x'"));
    await exe.dispose();
  });
});
