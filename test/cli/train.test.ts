import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainCommand } from '../../src/cli/commands/train.js';
import { loadModelDir } from '../../src/adapters/huggingface/checkpoint.js';
import { ConfigError, LiftError } from '../../src/core/errors.js';
import { writeTinyModel } from '../helpers/tiny-model.js';
import { defaultRegistry } from '../../src/index.js';

describe('lift train', function () {
  this.timeout(120_000);
  let model: string;
  let tmp: string;
  const config = (name: string, extra: Record<string, unknown> = {}) => {
    const file = join(tmp, `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        model,
        data: { train: 'fixtures/data/target_val.jsonl', maxLength: 128 },
        method: { name: 'lift', options: { rank: 2, filterRank: 4, interval: 3 } },
        optimizer: { lr: 1e-3 },
        steps: 4,
        batchSize: 4,
        output: { dir: join(tmp, name), checkpointEvery: 2 },
        ...extra,
      }),
    );
    return file;
  };
  before(() => {
    model = writeTinyModel();
    tmp = mkdtempSync(join(tmpdir(), 'lift-train-'));
  });

  it('fine-tunes, logs JSONL, checkpoints and exports a loadable Hugging Face model', async () => {
    const r = await trainCommand({ config: config('ok'), quiet: true });
    assert.equal(r.steps, 4);
    const out = join(tmp, 'ok');
    const log = readFileSync(join(out, 'train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(log.filter((e) => e.event === 'step').map((e) => e.step), [1, 2, 3, 4]);
    assert.ok(log.filter((e) => e.event === 'step').every((e) => Number.isFinite(e.loss) && e.lr >= 0 && e.tokensPerSecond > 0));
    assert.ok(existsSync(join(out, 'latest.json')));
    const exported = loadModelDir(join(out, 'model'));
    assert.equal(exported.config.hiddenSize, 32);
    const w = exported.weights.get('model.layers.0.self_attn.q_proj.weight')!;
    const base = loadModelDir(model).weights.get('model.layers.0.self_attn.q_proj.weight')!;
    const changed = w.data.filter((x, i) => x !== base.data[i]).length;
    assert.ok(changed > 0 && changed <= (32 + 32) * 2 * 2, `changed ${changed} entries: the mask and one refresh at most`);
    const summary = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    assert.equal(summary.method, 'lift');
  });

  it('refuses to start a new run in an output directory that holds one', async () => {
    const file = config('again');
    await trainCommand({ config: file, quiet: true });
    await assert.rejects(trainCommand({ config: file, quiet: true }), (e: unknown) => e instanceof LiftError && e.code === 'E_OUTPUT_EXISTS' && /--resume/.test(e.message));
  });

  it('--resume on a finished run changes nothing and exports the same weights', async () => {
    const r1 = await trainCommand({ config: config('resume'), quiet: true });
    const before = readFileSync(join(tmp, 'resume', 'model', 'model.safetensors'));
    const r2 = await trainCommand({ resume: join(tmp, 'resume'), quiet: true });
    assert.equal(r2.steps, r1.steps);
    assert.deepEqual(readFileSync(join(tmp, 'resume', 'model', 'model.safetensors')), before);
  });

  it('reports every config violation with its JSON path', async () => {
    const file = config('bad', { steps: 'ten', batchSize: 0, method: { name: 'lift', extra: 1 } });
    await assert.rejects(trainCommand({ config: file }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      const paths = e.violations.map((v) => v.path).sort();
      assert.deepEqual(paths, ['/batchSize', '/method', '/steps']);
      assert.match(e.message, new RegExp(file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      return true;
    });
  });

  it('an unknown method lists the registered ones; a missing model directory is named', async () => {
    await assert.rejects(trainCommand({ config: config("unknown", { method: { name: "sparse-magic" } }) }), /unknown method .sparse-magic.; registered methods: full, lift, lift-published, lora, magnitude, random/);
    assert.equal(existsSync(join(tmp, "unknown", "run.json")), false);
    const missing = join(tmp, 'no-such-model');
    await assert.rejects(trainCommand({ config: config('missing', { model: missing }) }), (e: unknown) => e instanceof LiftError && e.code === 'E_MODEL_CONFIG' && e.message.includes(missing));
  });

  it('runs on the backend the config names, and names the registered ones when it is unknown', async () => {
    await assert.rejects(
      trainCommand({ config: config('no-backend', { backend: { name: 'tpu' } }) }),
      (e: unknown) => e instanceof LiftError && e.code === 'E_BACKEND' && e.message.includes(`tpu: not registered (registered: ${defaultRegistry().backendNames().join(', ')})`),
    );
    const r = await trainCommand({ config: config('named-backend', { backend: { name: 'onnxruntime-cpu' }, steps: 1 }), quiet: true });
    assert.equal(r.steps, 1);
  });
});
