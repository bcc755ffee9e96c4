import assert from 'node:assert/strict';
import { GraphBuildError } from '../../../src/core/errors.js';
import { Graph } from '../../../src/core/graph/graph.js';
import * as op from '../../../src/core/graph/ops.js';
import { dimAdd, dimDiv, dimEq, dimMul, dimParam, inferSymbolicShapes, sym, type Dim } from '../../../src/core/graph/symbolic.js';
import { buildLlamaDecoder } from '../../../src/core/model/llama-decoder.js';
import { llamaConfig, randomWeights } from '../model/helpers.js';

describe('symbolic dimensions', () => {
  const B = sym('batch_size');
  const S = sym('sequence_length');
  const P = sym('past_sequence_length');

  it('add, multiply and divide exactly as polynomials, and print as dim_param text', () => {
    const total = dimAdd(P, S);
    assert.equal(dimParam(total), 'past_sequence_length + sequence_length');
    assert.equal(dimParam(dimMul(3, S)), '3 * sequence_length');
    // batch·2·(3·seq)·(past + seq) / (batch·6·(past + seq)) = seq: a Reshape's −1 over grouped heads
    const numel = dimMul(dimMul(dimMul(B, 2), dimMul(3, S)), total);
    const q = dimDiv(numel, dimMul(dimMul(B, 6), total));
    assert.ok(q !== undefined && dimEq(q, S), String(q));
    assert.equal(dimDiv(dimAdd(S, 1), S), undefined, 'seq + 1 is not a multiple of seq');
    assert.equal(dimDiv(dimMul(3, S), 2), undefined);
    assert.equal(dimAdd(dimMul(S, 2), dimMul(S, -2)), 0);
  });

  it('give the decoder graph free batch, sequence and past in every input and output', () => {
    const config = llamaConfig();
    const dec = buildLlamaDecoder(config, { weights: randomWeights(config, 1) });
    const shapes = inferSymbolicShapes(dec.graph, dec.outputs, dec.inputDims);
    const text = (d: readonly Dim[]) => d.map(dimParam);
    const byName = new Map(dec.outputs.map((v) => [v.name, text(shapes.dims(v))]));
    assert.deepEqual(byName.get('logits'), ['batch_size', 'sequence_length', config.vocabSize]);
    assert.deepEqual(byName.get('present.1.value'), ['batch_size', config.numKeyValueHeads, 'past_sequence_length + sequence_length', config.headDim]);
    assert.deepEqual(text(dec.inputDims.get('attention_mask')!), ['batch_size', 'past_sequence_length + sequence_length']);
    assert.deepEqual(text(dec.inputDims.get('past_key_values.0.key')!), ['batch_size', config.numKeyValueHeads, 'past_sequence_length', config.headDim]);
  });

  it('catch a size the builder baked in, naming the node', () => {
    const g = new Graph('baked');
    const x = g.input('x', 'float32', [2, 3, 4]);
    // ops.reshape writes the resolved static shape [6, 4]: right at the witness sizes only
    const y = op.reshape(x, [-1, 4]);
    const dims = new Map<string, Dim[]>([['x', [B, S, 4]]]);
    assert.throws(() => inferSymbolicShapes(g, [y], dims), (e: unknown) => e instanceof GraphBuildError && /Reshape node .*a size is baked in/.test(e.message));
    const z = op.add(x, g.initializer('c', { dtype: 'float32', shape: [3, 4], data: new Float32Array(12) }));
    assert.throws(() => inferSymbolicShapes(g, [z], dims), /Add node .*do not broadcast/);
  });

  it('fail on an op without a rule, and on a symbol given two witness sizes', () => {
    const g = new Graph('other');
    const x = g.input('x', 'float32', [2, 3]);
    const y = g.addNode('Erf', [x], [{ dtype: 'float32', shape: [2, 3] }])[0]!;
    assert.throws(() => inferSymbolicShapes(g, [y], new Map([['x', [B, S]]])), /Erf node .*no symbolic shape rule/);
    assert.throws(() => inferSymbolicShapes(g, [x], new Map([['x', [B, B]]])), /symbol 'batch_size' has witness sizes 2 and 3/);
  });
});
