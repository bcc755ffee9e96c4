/**
 * Reliability corpus: tokenizer files. A broken file is named itself (not just its directory),
 * and a tokenizer whose ids the model cannot embed is refused before ONNX Runtime meets an index
 * past its embedding table.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Workspace, assertFailed, assertUnchanged, outDir, runLift, snapshot } from './harness.js';

describe('reliability: tokenizers', function () {
  this.timeout(120_000);
  let ws: Workspace;
  before(() => (ws = new Workspace('tokenizer')));
  after(() => ws.remove());

  async function refused(damage: (dir: string) => void, code: string, message: RegExp, namesFile?: string): Promise<void> {
    const dir = ws.modelCopy();
    damage(dir);
    const run = ws.run({ model: dir });
    const config = ws.config(run);
    const before = snapshot(dir, config);
    const r = await runLift(['train', '--config', config, '--quiet']);
    assertFailed(r, code, 1, message);
    if (namesFile) assert.ok(r.stderr.includes(join(dir, namesFile)), `the error names ${namesFile}: ${r.stderr}`);
    assert.equal(existsSync(outDir(run)), false);
    assertUnchanged(before, code);
  }
  const edit = (file: string, f: (json: Record<string, unknown>) => unknown) => writeFileSync(file, JSON.stringify(f(JSON.parse(readFileSync(file, 'utf8')))));

  it('tokenizer.json missing', () => refused((d) => rmSync(join(d, 'tokenizer.json')), 'E_TOKENIZER', /not found; a tokenizer directory needs/, 'tokenizer.json'));
  it('tokenizer_config.json missing', () => refused((d) => rmSync(join(d, 'tokenizer_config.json')), 'E_TOKENIZER', /not found/, 'tokenizer_config.json'));
  it('tokenizer_config.json that is not JSON names that file', () =>
    refused((d) => writeFileSync(join(d, 'tokenizer_config.json'), '{"eos_token": "</s>",'), 'E_TOKENIZER', /tokenizer_config\.json: is not valid JSON/, 'tokenizer_config.json'));
  it('tokenizer.json that is not JSON names that file', () =>
    refused((d) => writeFileSync(join(d, 'tokenizer.json'), readFileSync(join(d, 'tokenizer.json'), 'utf8').slice(0, 500)), 'E_TOKENIZER', /tokenizer\.json: is not valid JSON/, 'tokenizer.json'));
  it('tokenizer.json that is a JSON array', () => refused((d) => writeFileSync(join(d, 'tokenizer.json'), '[]'), 'E_TOKENIZER', /tokenizer\.json: is not a JSON object/, 'tokenizer.json'));
  it('tokenizer.json whose model section is broken names that file', () =>
    refused((d) => edit(join(d, 'tokenizer.json'), (j) => ({ ...j, model: { type: 'NoSuchModel' } })), 'E_TOKENIZER', /cannot (load|build) the tokenizer/, 'tokenizer.json'));
  it('no eos token', () =>
    refused((d) => edit(join(d, 'tokenizer_config.json'), (j) => ({ ...j, eos_token: null })), 'E_TOKENIZER', /eos_token/, 'tokenizer_config.json'));
  it('a model whose vocab_size is smaller than the tokenizer\'s', () =>
    refused((d) => {
      // the tiny model with a 512-token embedding: its config and tensors agree, the tokenizer has 1024 ids
      const c = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
      writeFileSync(join(d, 'config.json'), JSON.stringify({ ...c, vocab_size: 512 }));
      const bytes = readFileSync(join(d, 'model.safetensors'));
      const n = Number(bytes.readBigUInt64LE(0));
      const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
      const data = bytes.subarray(8 + n);
      const emb = header['model.embed_tokens.weight'];
      const [b, e] = emb.data_offsets as [number, number];
      const half = (e - b) / 2;
      emb.shape = [512, emb.shape[1]];
      const parts = [data.subarray(0, b + half), data.subarray(e)];
      for (const [k, v] of Object.entries(header)) if (k !== '__metadata__' && (v as { data_offsets: number[] }).data_offsets[0] >= e) (v as { data_offsets: number[] }).data_offsets = (v as { data_offsets: number[] }).data_offsets.map((o) => o - half);
      emb.data_offsets = [b, b + half];
      const json = Buffer.from(JSON.stringify(header));
      const prefix = Buffer.alloc(8);
      prefix.writeBigUInt64LE(BigInt(json.length));
      writeFileSync(join(d, 'model.safetensors'), Buffer.concat([prefix, json, ...parts]));
    }, 'E_TOKENIZER', /has 1024 token ids but .*config\.json has vocab_size 512: ids 512\.\.1023 have no embedding/, 'tokenizer.json'));
  it('a tokenizer path that is not a directory', async () => {
    const run = ws.run({ tokenizer: ws.data });
    const r = await runLift(['train', '--config', ws.config(run)]);
    assertFailed(r, 'E_TOKENIZER', 1, /is not a directory with tokenizer files/);
  });
});
