/**
 * onnx/model.onnx as ONNX Runtime runs it: free batch, sequence and past sizes, a growing cache,
 * and the same function as lift-sft's training graph (llama.ts). transformers.js itself loads it
 * in transformersjs.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { saveModelDir } from '../../../src/adapters/huggingface/checkpoint.js';
import { ONNX_DATA_FILE, writeOnnxModel } from '../../../src/adapters/export/onnx.js';
import { FileFormatError } from '../../../src/core/errors.js';
import { Graph } from '../../../src/core/graph/graph.js';
import { serializeModel } from '../../../src/core/graph/onnx.js';
import { dimParam, inferSymbolicShapes } from '../../../src/core/graph/symbolic.js';
import { buildLlama } from '../../../src/core/model/llama.js';
import { buildLlamaDecoder } from '../../../src/core/model/llama-decoder.js';
import type { ModelConfig } from '../../../src/core/model/config.js';
import { Rng } from '../../../src/core/rng.js';
import type { Tensor } from '../../../src/core/tensor.js';
import { int64, llamaConfig, qwen2Config, randomWeights } from '../../core/model/helpers.js';

const backend = new OnnxRuntimeBackend({ intraOpThreads: 1 });

function i64(rows: readonly (readonly number[])[]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(rows.flat(), (x) => BigInt(x)), [rows.length, rows[0]!.length]);
}

/**
 * Runs the exported decoder as transformers.js does: a left-padded prefill with an empty past,
 * then `steps` single-token steps feeding present back as past. Returns the whole sequences, their
 * masks and positions (cumsum(mask) − 1, padding at 1, as transformers.js makes them), and the
 * logits of every step.
 */
async function runCached(session: ort.InferenceSession, config: ModelConfig, prompts: number[][], steps: number, rng: Rng) {
  const B = prompts.length;
  const P = Math.max(...prompts.map((p) => p.length));
  const ids = prompts.map((p) => [...new Array<number>(P - p.length).fill(config.padTokenId ?? 0), ...p]);
  const mask = prompts.map((p) => [...new Array<number>(P - p.length).fill(0), ...p.map(() => 1)]);
  const positions = (m: number[][]) => m.map((row) => { let c = 0; return row.map((x) => (x ? c++ : 1)); });
  const feeds: Record<string, ort.Tensor> = {};
  for (let l = 0; l < config.numHiddenLayers; l++) {
    for (const k of ['key', 'value']) feeds[`past_key_values.${l}.${k}`] = new ort.Tensor('float32', new Float32Array(0), [B, config.numKeyValueHeads, 0, config.headDim]);
  }
  const logits: ort.Tensor[] = [];
  let newIds = ids;
  for (let s = 0; s <= steps; s++) {
    const pos = positions(mask).map((row) => row.slice(row.length - newIds[0]!.length));
    const out = await session.run({ ...feeds, input_ids: i64(newIds), attention_mask: i64(mask), position_ids: i64(pos) });
    logits.push(out.logits!);
    for (let l = 0; l < config.numHiddenLayers; l++) for (const k of ['key', 'value']) feeds[`past_key_values.${l}.${k}`] = out[`present.${l}.${k}`]!;
    newIds = Array.from({ length: B }, () => [3 + rng.int(config.vocabSize - 3)]);
    if (s < steps) {
      newIds.forEach((t, b) => ids[b]!.push(t[0]!));
      mask.forEach((m) => m.push(1));
    }
  }
  return { ids, mask, positions: positions(mask), logits };
}

/** Logits of the full sequences from llama.ts' graph (the function lift-sft trains and evaluates). */
async function reference(config: ModelConfig, weights: ReadonlyMap<string, Tensor>, ids: number[][], mask: number[][], positions: number[][]): Promise<Float32Array> {
  const g = new Graph('ref');
  const m = buildLlama(g, config, { batch: ids.length, seqLen: ids[0]!.length, weights, positionIds: true, maxPosition: config.maxPositionEmbeddings });
  const exe = await backend.compile(g, [m.logits]);
  try {
    const out = await exe.run({ [m.inputIds.name]: int64(ids), [m.attentionMask.name]: int64(mask), [m.positionIds!.name]: int64(positions) });
    return out[m.logits.name]!.data as Float32Array;
  } finally {
    await exe.dispose();
  }
}

describe('ONNX export for transformers.js (onnx/model.onnx)', function () {
  this.timeout(60_000);
  let tmp: string;
  before(() => (tmp = mkdtempSync(join(tmpdir(), 'lift-onnx-export-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const cases: [string, ModelConfig][] = [
    ['llama (llama3 RoPE scaling, untied head, grouped-query)', llamaConfig()],
    ['qwen2 (q/k/v bias, tied embeddings, linear RoPE scaling)', qwen2Config()],
  ];
  for (const [name, config] of cases) {
    it(`${name}: a left-padded prefill and cached steps give llama.ts' logits`, async () => {
      const weights = randomWeights(config, 5, 0.3);
      const dir = join(tmp, config.modelType);
      saveModelDir(dir, config, weights);
      writeOnnxModel(dir, config, weights);
      const session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'), { intraOpNumThreads: 1 });
      try {
        // The free dimensions carry the names transformers.js resolves (batch_size) or zero-fills.
        const meta = session.inputMetadata as unknown as { name: string; shape: (number | string)[] }[];
        const past = meta.find((m) => m.name === 'past_key_values.0.key')!;
        assert.deepEqual(past.shape, ['batch_size', config.numKeyValueHeads, 'past_sequence_length', config.headDim]);
        assert.deepEqual(session.outputNames.slice(0, 3), ['logits', 'present.0.key', 'present.0.value']);

        const rng = new Rng(9);
        const prompts = [5, 2, 7].map((n) => Array.from({ length: n }, () => 3 + rng.int(config.vocabSize - 3)));
        const steps = 3;
        const run = await runCached(session, config, prompts, steps, rng);
        const want = await reference(config, weights, run.ids, run.mask, run.positions);
        const V = config.vocabSize;
        const T = run.ids[0]!.length;
        const P = T - steps;
        let worst = 0;
        let scale = 0;
        for (let b = 0; b < prompts.length; b++) {
          for (let t = 0; t < T; t++) {
            if (!run.mask[b]![t]) continue; // padding rows are masked out; their logits mean nothing
            const [step, row] = t < P ? [0, t] : [t - P + 1, 0];
            const got = run.logits[step]!;
            const len = got.dims[1] as number;
            for (let v = 0; v < V; v++) {
              const a = (got.data as Float32Array)[(b * len + row) * V + v]!;
              const w = want[(b * T + t) * V + v]!;
              worst = Math.max(worst, Math.abs(a - w));
              scale = Math.max(scale, Math.abs(w));
            }
          }
        }
        assert.ok(scale > 1, `logits too small to compare (${scale})`);
        assert.ok(worst < 1e-5 * scale, `max |exported − llama.ts| = ${worst} at logit scale ${scale}`);
      } finally {
        await session.release();
      }
    });
  }

  it('states no size: built at other witness sizes, the model is the same bytes', () => {
    const config = qwen2Config();
    const weights = randomWeights(config, 6);
    const bytes = (witness: { batch: number; sequence: number; past: number }) => {
      const dec = buildLlamaDecoder(config, { weights, witness });
      const shapes = inferSymbolicShapes(dec.graph, dec.outputs, dec.inputDims);
      return serializeModel(dec.graph, { outputs: dec.outputs, keepInputs: true, dims: (v) => shapes.dims(v).map(dimParam) }).bytes;
    };
    assert.deepEqual(bytes({ batch: 2, sequence: 3, past: 5 }), bytes({ batch: 7, sequence: 1, past: 11 }));
  });

  it('external data: weights in model.onnx_data, declared in config.json, same logits', async () => {
    const config = llamaConfig({ numHiddenLayers: 1 });
    const weights = randomWeights(config, 8, 0.3);
    const [inline, external] = [join(tmp, 'inline'), join(tmp, 'external')];
    for (const d of [inline, external]) saveModelDir(d, config, weights);
    writeOnnxModel(inline, config, weights, { externalData: false });
    const r = writeOnnxModel(external, config, weights, { externalData: true });
    assert.equal(r.externalData, true);
    const data = join(external, 'onnx', ONNX_DATA_FILE);
    const weightBytes = [...weights.values()].reduce((s, t) => s + t.data.byteLength, 0);
    assert.ok(statSync(data).size >= weightBytes, 'every weight is in model.onnx_data');
    assert.ok(statSync(join(external, 'onnx', 'model.onnx')).size < 200_000, 'model.onnx holds the graph only');
    assert.equal(existsSync(join(inline, 'onnx', ONNX_DATA_FILE)), false);
    const cfg = JSON.parse(readFileSync(join(external, 'config.json'), 'utf8'));
    assert.deepEqual(cfg['transformers.js_config'], { dtype: 'fp32', use_external_data_format: true });
    assert.deepEqual(JSON.parse(readFileSync(join(inline, 'config.json'), 'utf8'))['transformers.js_config'], { dtype: 'fp32' });
    const outs = [];
    for (const d of [inline, external]) {
      const s = await ort.InferenceSession.create(join(d, 'onnx', 'model.onnx'));
      const rng = new Rng(3);
      outs.push((await runCached(s, config, [[5, 6, 7], [8, 9]], 1, rng)).logits.map((t) => Array.from(t.data as Float32Array)));
      await s.release();
    }
    assert.deepEqual(outs[1], outs[0]);
  });

  it('refuses a directory without config.json, naming it, and writes nothing', () => {
    const config = llamaConfig({ numHiddenLayers: 1 });
    const dir = join(tmp, 'bare');
    assert.throws(
      () => writeOnnxModel(dir, config, randomWeights(config, 1)),
      (e: unknown) => e instanceof FileFormatError && e.code === 'E_EXPORT' && e.file === join(dir, 'config.json'),
    );
    assert.equal(existsSync(join(dir, 'onnx')), false);
  });
});
