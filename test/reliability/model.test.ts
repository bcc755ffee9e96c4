/**
 * Reliability corpus: model directories — model.safetensors damaged every way the format can be,
 * config.json broken, weights that are not finite. Each case names the file (and the tensor where
 * there is one), writes no output, and leaves the model directory as it was.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Workspace, assertFailed, assertUnchanged, outDir, runLift, snapshot } from './harness.js';

interface Header {
  [name: string]: { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>;
}

/** model.safetensors split into its header object and data area. */
function split(file: string): { header: Header; data: Buffer } {
  const bytes = readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  return { header: JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')), data: bytes.subarray(8 + n) };
}

function join8(header: Header | string | Buffer, data: Buffer): Buffer {
  const json = Buffer.isBuffer(header) ? header : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([prefix, json, data]);
}

/** Tensor entries ordered by where their data starts. */
function entries(header: Header): [string, { dtype: string; shape: number[]; data_offsets: [number, number] }][] {
  return Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .map(([k, v]) => [k, v as { dtype: string; shape: number[]; data_offsets: [number, number] }] as [string, { dtype: string; shape: number[]; data_offsets: [number, number] }])
    .sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
}

describe('reliability: model directories and safetensors', function () {
  this.timeout(120_000);
  let ws: Workspace;
  before(() => (ws = new Workspace('model')));
  after(() => ws.remove());

  /** Damages a copy of the tiny model; `lift train` on it fails with `code`, writing nothing. */
  async function refused(damage: (dir: string) => void, code: string, message: RegExp): Promise<void> {
    const dir = ws.modelCopy();
    damage(dir);
    const run = ws.run({ model: dir });
    const config = ws.config(run);
    const before = snapshot(dir, config, ws.data);
    const r = await runLift(['train', '--config', config, '--quiet']);
    assertFailed(r, code, 1, message);
    assert.match(r.stderr.split('\n').find((l) => l.startsWith('lift: error'))!, new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'the error names the model file');
    assert.equal(existsSync(outDir(run)), false, 'nothing was written');
    assertUnchanged(before, code);
  }

  const weights = (dir: string) => join(dir, 'model.safetensors');
  const rewrite = (dir: string, f: (h: Header, data: Buffer) => Buffer) => {
    const { header, data } = split(weights(dir));
    writeFileSync(weights(dir), f(header, data));
  };

  it('a file cut in its data area', () =>
    refused((d) => writeFileSync(weights(d), readFileSync(weights(d)).subarray(0, readFileSync(weights(d)).length - 100)), 'E_SAFETENSORS', /outside the data area|ended while reading/));
  it('a file shorter than its 8-byte length field', () => refused((d) => writeFileSync(weights(d), Buffer.from([1, 2, 3])), 'E_SAFETENSORS', /shorter than the 8-byte header length/));
  it('a header length past the end of the file', () =>
    refused((d) => {
      const b = readFileSync(weights(d));
      b.writeBigUInt64LE(BigInt(b.length * 2), 0);
      writeFileSync(weights(d), b);
    }, 'E_SAFETENSORS', /runs past the end of the file/));
  it('a header that is not JSON', () => refused((d) => rewrite(d, (h, data) => join8(JSON.stringify(h).slice(0, -5) + '     ', data)), 'E_SAFETENSORS', /header is not valid JSON/));
  it('a header that is not UTF-8', () =>
    refused((d) => rewrite(d, (h, data) => {
      // the metadata value "pt" with its first byte replaced by 0xff: well-formed JSON, invalid UTF-8
      const json = Buffer.from(JSON.stringify(h), 'utf8');
      json[json.indexOf('"pt"') + 1] = 0xff;
      return join8(json, data);
    }), 'E_SAFETENSORS', /header is not valid JSON/));
  it('a header that does not start with {', () => refused((d) => rewrite(d, (h, data) => join8('  ' + JSON.stringify(h), data)), 'E_SAFETENSORS', /header does not start with '\{'/));
  it('an empty header', () => refused((d) => rewrite(d, (_h, data) => join8('', data)), 'E_SAFETENSORS', /header does not start with '\{' .*the header is empty/));
  it('a header length beyond the format\'s limit', () =>
    refused((d) => {
      // a sparse 100 MB file: the length field is within the file, but past what the format allows
      const b = readFileSync(weights(d));
      const big = Buffer.alloc(100_000_016);
      b.copy(big);
      big.writeBigUInt64LE(100_000_001n, 0);
      writeFileSync(weights(d), big);
    }, 'E_SAFETENSORS', /exceeds the format's limit of 100000000 bytes/));
  it('metadata that is not a string map', () =>
    refused((d) => rewrite(d, (h, data) => {
      (h.__metadata__ as Record<string, unknown>).format = 3;
      return join8(h, data);
    }), 'E_SAFETENSORS', /__metadata__ 'format' is 3: metadata values must be strings/));
  it('a tensor name given twice (JSON keeps the last: the first one\'s bytes become a hole)', () =>
    refused((d) => rewrite(d, (h, data) => {
      const [first, second] = entries(h);
      const json = JSON.stringify(h);
      // a second key with the first tensor's name, pointing at the second tensor's bytes
      const dup = `"${first![0]}":${JSON.stringify(second![1])}`;
      return join8(json.slice(0, -1) + ',' + dup + '}', data);
    }), 'E_SAFETENSORS', /overlap tensor|belong to no tensor/));
  it('trailing bytes after the last tensor', () => refused((d) => rewrite(d, (h, data) => join8(h, Buffer.concat([data, Buffer.alloc(16)]))), 'E_SAFETENSORS', /16 trailing bytes after the last tensor/));
  it('a hole between two tensors', () =>
    refused((d) => rewrite(d, (h, data) => {
      const last = entries(h).at(-1)!;
      const [b, e] = last[1].data_offsets;
      last[1].data_offsets = [b + 8, e + 8];
      return join8(h, Buffer.concat([data.subarray(0, b), Buffer.alloc(8), data.subarray(b)]));
    }), 'E_SAFETENSORS', /belong to no tensor \(a hole before tensor/));
  it('two tensors sharing bytes', () =>
    refused((d) => rewrite(d, (h, data) => {
      const [a, b] = entries(h);
      const size = b![1].data_offsets[1] - b![1].data_offsets[0];
      b![1].data_offsets = [a![1].data_offsets[0], a![1].data_offsets[0] + size];
      return join8(h, data);
    }), 'E_SAFETENSORS', /overlap tensor/));
  it('an unsupported dtype', () =>
    refused((d) => rewrite(d, (h, data) => {
      entries(h)[0]![1].dtype = 'F8_E4M3';
      return join8(h, data);
    }), 'E_SAFETENSORS', /unsupported dtype "F8_E4M3"/));
  it('a shape that disagrees with the data offsets', () =>
    refused((d) => rewrite(d, (h, data) => {
      const e = entries(h)[0]![1];
      e.shape = [...e.shape.slice(0, -1), e.shape.at(-1)! + 1];
      return join8(h, data);
    }), 'E_SAFETENSORS', /needs \d+ bytes but data_offsets/));
  it('a tensor the config expects is missing', () =>
    refused((d) => rewrite(d, (h, data) => {
      // drop the last tensor and its bytes, so the rest still tiles the data area
      const [name, e] = entries(h).at(-1)!;
      delete h[name];
      return join8(h, data.subarray(0, e.data_offsets[0]));
    }), 'E_SAFETENSORS', /missing tensors \(1\)/));
  it('a NaN weight names its tensor', () =>
    refused((d) => rewrite(d, (h, data) => {
      const e = entries(h).find(([n]) => n.includes('layers.1.mlp.up_proj'))!;
      data.writeFloatLE(NaN, e[1].data_offsets[0] + 4 * 3);
      return join8(h, data);
    }), 'E_SAFETENSORS', /tensor 'model\.layers\.1\.mlp\.up_proj\.weight' holds NaN at index 3/));
  it('an infinite weight names its tensor', () =>
    refused((d) => rewrite(d, (h, data) => {
      const e = entries(h).find(([n]) => n === 'model.norm.weight')!;
      data.writeFloatLE(-Infinity, e[1].data_offsets[0]);
      return join8(h, data);
    }), 'E_SAFETENSORS', /tensor 'model\.norm\.weight' holds -Infinity at index 0/));
  it('no weights file at all', () => refused((d) => rmSync(weights(d)), 'E_SAFETENSORS', /has neither model\.safetensors nor model\.safetensors\.index\.json/));
  it('a config.json that is not JSON', () => refused((d) => writeFileSync(join(d, 'config.json'), '{"model_type": "llama",'), 'E_MODEL_CONFIG', /config\.json: not valid JSON/));
  it('a config.json with an unsupported model_type', () =>
    refused((d) => {
      const c = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
      writeFileSync(join(d, 'config.json'), JSON.stringify({ ...c, model_type: 'gpt2' }));
    }, 'E_MODEL_CONFIG', /model_type "gpt2" is not supported/));
  it('a config.json whose shapes disagree with the weights', () =>
    refused((d) => {
      const c = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
      writeFileSync(join(d, 'config.json'), JSON.stringify({ ...c, intermediate_size: 48 }));
    }, 'E_SAFETENSORS', /mis-shaped tensors/));
});
