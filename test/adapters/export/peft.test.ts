/**
 * PEFT LoRA adapters out and in: the layout PEFT documents, the same function as the merged
 * model, a run that continues an adapter, and every mismatch refused by name.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { loadModelDir, saveModelDir } from '../../../src/adapters/huggingface/checkpoint.js';
import { readTensors } from '../../../src/adapters/huggingface/safetensors.js';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, BASE_HASH_KEY, readPeftAdapter } from '../../../src/adapters/export/peft.js';
import { readMetadata } from '../../../src/adapters/export/metadata.js';
import { trainedSource, writeExports } from '../../../src/api/export.js';
import { train, type TrainOutcome } from '../../../src/api/train.js';
import { adapterInit, mergeAdapter } from '../../../src/api/variants.js';
import { validateRunConfig } from '../../../src/core/config/validate.js';
import { FileFormatError, LiftError } from '../../../src/core/errors.js';
import { Graph } from '../../../src/core/graph/graph.js';
import { TARGET_MODULES, linearShape } from '../../../src/core/model/config.js';
import { buildLlama } from '../../../src/core/model/llama.js';
import type { Tensor } from '../../../src/core/tensor.js';
import { TINY_CONFIG, writeTinyModel } from '../../helpers/tiny-model.js';
import { int64 } from '../../core/model/helpers.js';

const backend = new OnnxRuntimeBackend({ intraOpThreads: 1 });

async function logits(weights: ReadonlyMap<string, Tensor>): Promise<Float32Array> {
  const ids = [
    [1, 40, 41, 42, 43, 44, 45, 46],
    [1, 90, 91, 92, 93, 94, 95, 96],
  ];
  const g = new Graph('logits');
  const m = buildLlama(g, TINY_CONFIG, { batch: 2, seqLen: 8, weights });
  const exe = await backend.compile(g, [m.logits]);
  try {
    return (await exe.run({ [m.inputIds.name]: int64(ids), [m.attentionMask.name]: int64(ids.map((r) => r.map(() => 1))) }))[m.logits.name]!.data as Float32Array;
  } finally {
    await exe.dispose();
  }
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

describe('PEFT LoRA adapters', function () {
  this.timeout(120_000);
  let tmp: string;
  let base: string;
  let first: TrainOutcome;
  const runConfig = (name: string, extra: Record<string, unknown> = {}) =>
    validateRunConfig({
      model: base,
      data: { train: 'fixtures/data/target_val.jsonl', maxLength: 64 },
      method: { name: 'lora', options: { rank: 2, targetModules: ['q_proj', 'v_proj', 'down_proj'] } },
      optimizer: { lr: 5e-3 },
      steps: 3,
      batchSize: 4,
      evaluation: { generate: false },
      output: { dir: join(tmp, name) },
      ...extra,
    });

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'lift-peft-'));
    base = writeTinyModel(join(tmp, 'base'));
    const run = runConfig('a');
    first = await train(run, { onNotice: () => {} });
    writeExports(join(tmp, 'a'), trainedSource(run, first.model, first.result), ['hf', 'peft']);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("writes PEFT's layout: LoraConfig fields, base_model.model. names, A [r, in] and B [out, r]", () => {
    const dir = join(tmp, 'a', 'adapter');
    const cfg = JSON.parse(readFileSync(join(dir, ADAPTER_CONFIG_FILE), 'utf8'));
    assert.deepEqual(
      { peft_type: cfg.peft_type, r: cfg.r, lora_alpha: cfg.lora_alpha, lora_dropout: cfg.lora_dropout, target_modules: cfg.target_modules, bias: cfg.bias, task_type: cfg.task_type, fan_in_fan_out: cfg.fan_in_fan_out, use_rslora: cfg.use_rslora, use_dora: cfg.use_dora, base_model_name_or_path: cfg.base_model_name_or_path },
      { peft_type: 'LORA', r: 2, lora_alpha: 4, lora_dropout: 0, target_modules: ['q_proj', 'v_proj', 'down_proj'], bias: 'none', task_type: 'CAUSAL_LM', fan_in_fan_out: false, use_rslora: false, use_dora: false, base_model_name_or_path: base },
    );
    const tensors = readTensors(join(dir, ADAPTER_WEIGHTS_FILE));
    assert.equal(tensors.size, TINY_CONFIG.numHiddenLayers * 3 * 2);
    const a = tensors.get('base_model.model.model.layers.1.mlp.down_proj.lora_A.weight')!;
    const b = tensors.get('base_model.model.model.layers.1.mlp.down_proj.lora_B.weight')!;
    const [out, inn] = linearShape(TINY_CONFIG, 'down_proj');
    assert.deepEqual([a.dtype, a.shape, b.shape], ['float32', [2, inn], [out, 2]]);
    assert.ok(b.data.some((x) => x !== 0), 'B trained away from zero');
    assert.match(readMetadata(join(dir, ADAPTER_WEIGHTS_FILE))[BASE_HASH_KEY] ?? '', /^[0-9a-f]{64}$/);
  });

  it('loaded onto the base model, gives the merged model it was exported beside (logits to 1e-5)', async () => {
    const baseModel = loadModelDir(base);
    const merged = loadModelDir(join(tmp, 'a', 'model'));
    const viaAdapter = await mergeAdapter(join(tmp, 'a', 'adapter'), baseModel);
    const [want, got, before] = [await logits(merged.weights), await logits(viaAdapter), await logits(baseModel.weights)];
    assert.ok(maxDiff(got, want) <= 1e-5, `adapter vs merged: ${maxDiff(got, want)}`);
    assert.ok(maxDiff(before, want) > 1e-3, 'the adapter changes the function');
  });

  it('a run starts from the adapter (rank, alpha, modules from it) and continues training it', async () => {
    const run = runConfig('b', { method: { name: 'lora' }, optimizer: { lr: 1e-12 }, steps: 1, init: { adapter: join(tmp, 'a', 'adapter') } });
    const next = await train(run, { onNotice: () => {} });
    assert.deepEqual([next.result.options.rank, next.result.options.alpha, next.result.options.targetModules], [2, 4, ['q_proj', 'v_proj', 'down_proj']]);
    // lr 1e-12: one step moves nothing measurable, so the run's weights are the adapter's
    const a = first.result.weights();
    const b = next.result.weights();
    const name = 'model.layers.0.self_attn.q_proj.weight';
    assert.ok(maxDiff(a.get(name)!.data, b.get(name)!.data) < 1e-7);
    assert.ok(maxDiff(a.get(name)!.data, first.model.weights.get(name)!.data) > 1e-4);
    for (const [k, t] of first.result.adapters) assert.ok(maxDiff(t.data as Float32Array, next.result.adapters.get(k)!.data as Float32Array) < 1e-9, k);
  });

  it('refuses, naming the file: other base weights, other shapes, unsupported fields, options that disagree', async () => {
    const adapter = join(tmp, 'a', 'adapter');
    const weightsFile = join(adapter, ADAPTER_WEIGHTS_FILE);
    const other = loadModelDir(base);
    const w = other.weights.get('model.layers.0.mlp.down_proj.weight')!;
    w.data[0] = w.data[0]! + 1;
    await assert.rejects(mergeAdapter(adapter, other), (e: unknown) => e instanceof FileFormatError && e.code === 'E_ADAPTER' && e.file === weightsFile && /other base weights/.test(e.message));

    const wider = { ...TINY_CONFIG, intermediateSize: 48 };
    const widerDir = join(tmp, 'wider');
    saveModelDir(widerDir, wider, new Map([...loadModelDir(base).weights].map(([k, t]) => [k, k.includes('mlp') ? { ...t, shape: k.endsWith('down_proj.weight') ? [32, 48] : [48, 32], data: new Float32Array(48 * 32) } : t])) as never);
    await assert.rejects(mergeAdapter(adapter, loadModelDir(widerDir)), (e: unknown) => e instanceof FileFormatError && e.code === 'E_ADAPTER' && /down_proj\.lora_A\.weight is \[2, 64\], the base model needs \[2, 48\]/.test(e.message));

    const dora = join(tmp, 'dora');
    writeExports(dora, trainedSource(runConfig('a'), first.model, first.result), ['peft']);
    const cfgFile = join(dora, 'adapter', ADAPTER_CONFIG_FILE);
    writeFileSync(cfgFile, JSON.stringify({ ...JSON.parse(readFileSync(cfgFile, 'utf8')), use_dora: true }));
    assert.throws(() => readPeftAdapter(join(dora, 'adapter')), (e: unknown) => e instanceof FileFormatError && e.file === cfgFile && /use_dora/.test(e.message));

    const clash = runConfig('c', { method: { name: 'lora', options: { rank: 4 } }, init: { adapter } });
    assert.throws(() => adapterInit(clash, first.model), /method\.options\.rank is 4, the adapter's is 2/);
    const sparse = runConfig('d', { method: { name: 'lift', options: { rank: 2, filterRank: 2 } }, init: { adapter } });
    await assert.rejects(train(sparse, { onNotice: () => {} }), (e: unknown) => e instanceof LiftError && e.code === 'E_ADAPTER' && /method 'lift'/.test(e.message));
    assert.throws(() => readPeftAdapter(join(tmp, 'nowhere')), (e: unknown) => e instanceof FileFormatError && e.file === join(tmp, 'nowhere', ADAPTER_CONFIG_FILE));
  });

  it('every LoRA target module of the base is covered by the names PEFT expects', () => {
    const a = readPeftAdapter(join(tmp, 'a', 'adapter'));
    assert.deepEqual(a.targetModules, TARGET_MODULES.filter((m) => ['q_proj', 'v_proj', 'down_proj'].includes(m)));
    assert.ok([...a.tensors.keys()].every((k) => /^model\.layers\.\d+\.(self_attn|mlp)\.\w+_proj\.lora_[AB]\.weight$/.test(k)));
  });
});
