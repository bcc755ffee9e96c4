/**
 * lift export, generate, apply and masks as a user runs them (in process, through main), and
 * what lift train's end writes by default: hf plus the method's own adapter.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxRuntimeBackend } from '../../src/adapters/backends/onnxruntime/backend.js';
import { loadModelDir } from '../../src/adapters/huggingface/checkpoint.js';
import { loadTokenizer } from '../../src/adapters/huggingface/tokenizer.js';
import { generateGreedy } from '../../src/core/model/generate.js';
import { writeTinyModel } from '../helpers/tiny-model.js';
import { runLift } from './run-main.js';

describe('lift export, generate, apply, masks', function () {
  this.timeout(120_000);
  let tmp: string;
  let base: string;
  const runDir = () => join(tmp, 'lift-run');
  const config = (name: string, method: Record<string, unknown>) => {
    const file = join(tmp, `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        model: base,
        data: { train: 'fixtures/data/target_val.jsonl', maxLength: 64 },
        method,
        optimizer: { lr: 5e-3 },
        steps: 2,
        batchSize: 4,
        evaluation: { generate: false },
        output: { dir: join(tmp, name) },
      }),
    );
    return file;
  };

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'lift-deploy-'));
    base = writeTinyModel(join(tmp, 'base'));
    const r = await runLift(['train', '--config', config('lift-run', { name: 'lift', options: { rank: 2, filterRank: 4 } }), '--quiet']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("lift train's end writes hf and the method's own adapter: the delta for LIFT, PEFT for LoRA", async () => {
    assert.ok(existsSync(join(runDir(), 'model', 'model.safetensors')) && existsSync(join(runDir(), 'delta', 'delta.safetensors')));
    assert.equal(existsSync(join(runDir(), 'adapter')), false);
    const lora = await runLift(['train', '--config', config('lora-run', { name: 'lora', options: { rank: 2 } }), '--quiet', '--export', 'hf,peft,onnx']);
    assert.equal(lora.code, 0, lora.stderr);
    for (const f of ['adapter/adapter_config.json', 'adapter/adapter_model.safetensors', 'model/onnx/model.onnx', 'model/generation_config.json']) assert.ok(existsSync(join(tmp, 'lora-run', f)), f);
    assert.equal(existsSync(join(tmp, 'lora-run', 'delta')), false);
    const bad = await runLift(['train', '--config', config('never', { name: 'lift' }), '--export', 'hf,gguf']);
    assert.deepEqual([bad.code, bad.stderr.trim()], [1, "lift: error [E_EXPORT]: --export: unknown format 'gguf' (formats: hf, onnx, peft, delta)"]);
    assert.equal(existsSync(join(tmp, 'never')), false, 'nothing written for a bad --export');
  });

  it('lift export writes the formats asked for; an unfinished run or an unknown format is one line naming why', async () => {
    const r = await runLift(['export', runDir(), '--format', 'onnx,delta', '--out', join(tmp, 'exported')]);
    assert.equal(r.code, 0, r.stderr);
    // onnx goes into a Hugging Face directory, so a new --out gets hf too
    assert.match(r.stdout, /^hf: \S+model \(5 files, \d+ bytes\)\ndelta: \S+delta \(1 files, \d+ bytes\)\nonnx: \S+onnx \(1 files, \d+ bytes\)\n$/);
    for (const f of ['model/onnx/model.onnx', 'model/config.json', 'delta/delta.safetensors']) assert.ok(existsSync(join(tmp, 'exported', f)), f);
    assert.deepEqual(readFileSync(join(tmp, 'exported', 'delta', 'delta.safetensors')), readFileSync(join(runDir(), 'delta', 'delta.safetensors')), 'rebuilt from the checkpoint: the same delta');

    const peft = await runLift(['export', runDir(), '--format', 'peft']);
    assert.deepEqual([peft.code, peft.stderr.trim()], [1, "lift: error [E_EXPORT]: method 'lift' has no adapter to export as peft (its parametrization exports none); it trains masks: use --format delta"]);
    const result = join(runDir(), 'result.json');
    renameSync(result, `${result}.away`);
    try {
      const unfinished = await runLift(['export', runDir(), '--format', 'hf']);
      assert.equal(unfinished.code, 1);
      assert.equal(unfinished.stderr.trim(), `lift: error [E_EXPORT]: ${result}: is missing: the run has not finished (continue it with lift train --resume ${runDir()})`);
    } finally {
      renameSync(`${result}.away`, result);
    }
  });

  it('lift apply rebuilds the fine-tuned model bitwise from the base and the delta, into a new directory only', async () => {
    const out = join(tmp, 'applied');
    const r = await runLift(['apply', '--base', base, '--delta', join(runDir(), 'delta'), '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readFileSync(join(out, 'model.safetensors')), readFileSync(join(runDir(), 'model', 'model.safetensors')));
    const again = await runLift(['apply', '--base', base, '--delta', join(runDir(), 'delta'), '--out', out]);
    assert.deepEqual([again.code, again.stderr.trim()], [1, `lift: error [E_OUTPUT_EXISTS]: ${out} is not empty; lift apply writes a new model directory`]);
  });

  it('lift generate streams the greedy continuation; with --delta on the base it is the fine-tuned model', async () => {
    const prompt = 'What is the capital of Poulpeth?';
    const tuned = await runLift(['generate', '--model', join(runDir(), 'model'), '--prompt', prompt, '--instruction', '--max-new-tokens', '12']);
    assert.equal(tuned.code, 0, tuned.stderr);
    const viaDelta = await runLift(['generate', '--model', base, '--delta', join(runDir(), 'delta'), '--prompt', prompt, '--instruction', '--max-new-tokens', '12']);
    assert.equal(viaDelta.stdout, tuned.stdout);
    // What lift-sft's generator gives for the same ids, decoded once at the end
    const tok = await loadTokenizer(base);
    const model = loadModelDir(join(runDir(), 'model'));
    const ids = [tok.bosTokenId!, ...tok.encode(`Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\n${prompt}\n\n### Response:\n`)];
    const [want] = await generateGreedy({ backend: new OnnxRuntimeBackend({ intraOpThreads: 1 }), config: model.config, weights: model.weights, tokenizerIds: [ids], maxNewTokens: 12, eosTokenIds: model.config.eosTokenId, padTokenId: tok.padTokenId });
    assert.equal(tuned.stdout, tok.decode(want!) + '\n');
    const s1 = await runLift(['generate', '--model', base, '--prompt', 'The', '--temperature', '1', '--seed', '5', '--max-new-tokens', '10']);
    const s2 = await runLift(['generate', '--model', base, '--prompt', 'The', '--temperature', '1', '--seed', '5', '--max-new-tokens', '10']);
    assert.equal(s1.stdout, s2.stdout, 'sampling is seeded');
  });

  it('lift masks writes masks.safetensors once, and refuses to overwrite it', async () => {
    const out = join(tmp, 'masks');
    const r = await runLift(['masks', '--model', base, '--method', 'lift', '--rank', '2', '--filter-rank', '4', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^wrote .*masks\.safetensors: 14 matrices, \d+ entries, \d+ bytes of indices\n$/);
    const again = await runLift(['masks', '--model', base, '--out', out]);
    assert.equal(again.stderr.trim(), `lift: error [E_OUTPUT_EXISTS]: ${join(out, 'masks.safetensors')} exists; choose another --out`);
  });
});
