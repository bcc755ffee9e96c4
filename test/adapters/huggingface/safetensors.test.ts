import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeSafetensors,
  encodeSafetensors,
  parseSafetensorsHeader,
  readSafetensors,
  readShardedSafetensors,
  writeSafetensors,
} from '../../../src/adapters/huggingface/safetensors.js';
import { float32ToBfloat16Bits, float32ToFloat16Bit } from '../../../src/adapters/huggingface/float-bits.js';
import { FileFormatError } from '../../../src/core/errors.js';
import { Rng } from '../../../src/core/rng.js';
import { tensor, type Tensor } from '../../../src/core/tensor.js';

/** A safetensors file from a header object and raw data bytes, for hand-made (and broken) files. */
function raw(header: unknown, data: Uint8Array = new Uint8Array(0), headerText?: string): Buffer {
  const h = Buffer.from(headerText ?? JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

function f32(values: number[]): Tensor<'float32'> {
  return tensor('float32', [values.length], Float32Array.from(values));
}

function expectError(fn: () => unknown, file: string, ...parts: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FileFormatError, `expected FileFormatError, got ${String(e)}`);
    assert.equal(e.code, 'E_SAFETENSORS');
    assert.ok(e.message.includes(file), `message names the file: ${e.message}`);
    for (const p of parts) assert.ok(e.message.includes(p), `message mentions '${p}': ${e.message}`);
    return true;
  });
}

describe('safetensors', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lift-st-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips F32 exactly, with format pt metadata and an 8-byte aligned header', () => {
    const rng = new Rng(1);
    const a = tensor('float32', [3, 5], Float32Array.from({ length: 15 }, () => rng.normal()));
    const b = f32([1, -2.5, 1e-30, 3.4e38]);
    const file = join(dir, 'f32.safetensors');
    writeSafetensors(file, new Map([['b.weight', b], ['a.weight', a]]));
    const bytes = readFileSync(file);
    const header = parseSafetensorsHeader(bytes, file);
    assert.equal(header.dataStart % 8, 0);
    assert.deepEqual(header.metadata, { format: 'pt' });
    assert.deepEqual(header.entries.map((e) => e.name), ['a.weight', 'b.weight']);
    const back = readSafetensors(file);
    assert.deepEqual(back.get('a.weight')!.shape, [3, 5]);
    assert.deepEqual(back.get('a.weight')!.data, a.data);
    assert.deepEqual(back.get('b.weight')!.data, b.data);
    assert.deepEqual(readdirSync(dir), ['f32.safetensors'], 'no temporary file is left behind');
  });

  it('round-trips F16 and BF16 exactly for representable values', () => {
    const half = [0, -0, 1, -2, 0.5, 1024, 65504, 2 ** -14, 2 ** -24, 3 * 2 ** -24, Infinity, -Infinity, 1.5, 0.333251953125];
    const bf = [0, -0, 1, -2, 0.5, 1.5, 2 ** -126, 2 ** 100, -3.140625, Infinity, 1 + 2 ** -7];
    for (const [dtype, values] of [['F16', half], ['BF16', bf]] as const) {
      const file = join(dir, `${dtype}.safetensors`);
      writeSafetensors(file, [['x', f32(values)]], { dtype });
      const header = parseSafetensorsHeader(readFileSync(file), file);
      assert.equal(header.entries[0]!.dtype, dtype);
      const back = readSafetensors(file).get('x')!;
      assert.deepEqual(Array.from(back.data), values.map((v) => Math.fround(v)), dtype);
      assert.ok(Object.is(back.data[1], -0), `${dtype} keeps the sign of zero`);
    }
  });

  it('rounds to nearest even when narrowing', () => {
    const bits = float32ToBfloat16Bits(Float32Array.from([1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20, NaN]));
    assert.equal(bits[0], 0x3f80); // tie: stays at the even 1.0
    assert.equal(bits[1], 0x3f82); // tie: up to the even 1 + 2^-6
    assert.equal(bits[2], 0x3f81); // above the tie
    assert.equal(bits[3]! & 0x7f80, 0x7f80);
    assert.notEqual(bits[3]! & 0x7f, 0, 'NaN stays NaN');
    assert.equal(float32ToFloat16Bit(1 + 2 ** -11), 0x3c00);
    assert.equal(float32ToFloat16Bit(1 + 3 * 2 ** -11), 0x3c02);
    assert.equal(float32ToFloat16Bit(65520), 0x7c00, 'overflow goes to infinity');
    assert.equal(float32ToFloat16Bit(2 ** -25), 0, 'half the smallest subnormal ties to zero');
    assert.equal(float32ToFloat16Bit(1.5 * 2 ** -24), 2, 'subnormal tie rounds to even');
  });

  it('reads F64, I32 and I64 as float32, and data at unaligned offsets', () => {
    const d64 = new Float64Array([1.5, -2]);
    const i32 = new Int32Array([7, -8]);
    const i64 = new BigInt64Array([9n, -10n]);
    const data = Buffer.concat([Buffer.from(d64.buffer), Buffer.from(i32.buffer), Buffer.from(i64.buffer)]);
    const header = JSON.stringify({
      d: { dtype: 'F64', shape: [2], data_offsets: [0, 16] },
      i: { dtype: 'I32', shape: [1, 2], data_offsets: [16, 24] },
      l: { dtype: 'I64', shape: [2], data_offsets: [24, 40] },
    });
    // An odd header length puts the data at an odd offset: the values must still come out right.
    const text = header + (header.length % 2 ? '' : ' ');
    const t = decodeSafetensors(raw(null, data, text), 'mixed.safetensors');
    assert.deepEqual(Array.from(t.get('d')!.data), [1.5, -2]);
    assert.deepEqual(t.get('i')!.shape, [1, 2]);
    assert.deepEqual(Array.from(t.get('i')!.data), [7, -8]);
    assert.deepEqual(Array.from(t.get('l')!.data), [9, -10]);
    const w = JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } });
    const padded = w + ' '.repeat((5 - (w.length % 4)) % 4); // header length ≡ 1 (mod 4)
    const unaligned = raw(null, Buffer.from(new Float32Array([3, 4]).buffer), padded);
    assert.equal(parseSafetensorsHeader(unaligned, 'u').dataStart % 4, 1);
    assert.deepEqual(Array.from(decodeSafetensors(unaligned, 'u.safetensors').get('w')!.data), [3, 4]);
  });

  it('reads a sharded checkpoint through its index', () => {
    const shards = join(dir, 'sharded');
    writeSafetensors(join(shards, 'model-00001-of-00002.safetensors'), [['a', f32([1, 2])], ['b', f32([3])]]);
    writeSafetensors(join(shards, 'model-00002-of-00002.safetensors'), [['c', f32([4, 5, 6])]]);
    const weightMap = {
      a: 'model-00001-of-00002.safetensors',
      b: 'model-00001-of-00002.safetensors',
      c: 'model-00002-of-00002.safetensors',
    };
    const indexFile = join(shards, 'model.safetensors.index.json');
    writeFileSync(indexFile, JSON.stringify({ metadata: { total_size: 24 }, weight_map: weightMap }));
    const t = readShardedSafetensors(indexFile);
    assert.deepEqual([...t.keys()].sort(), ['a', 'b', 'c']);
    assert.deepEqual(Array.from(t.get('c')!.data), [4, 5, 6]);

    writeFileSync(indexFile, JSON.stringify({ weight_map: { ...weightMap, d: 'model-00002-of-00002.safetensors' } }));
    expectError(() => readShardedSafetensors(indexFile), 'model-00002-of-00002.safetensors', "'d'", 'missing');
    writeFileSync(indexFile, JSON.stringify({ weight_map: { a: '../escape.safetensors' } }));
    expectError(() => readShardedSafetensors(indexFile), indexFile, 'outside');
    writeFileSync(indexFile, '{"weight_map": ');
    expectError(() => readShardedSafetensors(indexFile), indexFile, 'JSON');
    writeFileSync(indexFile, '{"metadata": {}}');
    expectError(() => readShardedSafetensors(indexFile), indexFile, 'weight_map');
  });

  describe('rejects a corrupt file with a typed error naming the file and tensor', () => {
    const file = 'bad.safetensors';
    const data = new Uint8Array(16);
    const ok = { w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } };
    const one = (entry: unknown) => raw({ w: entry }, data);

    it('shorter than 8 bytes', () => expectError(() => decodeSafetensors(new Uint8Array(5), file), file, 'shorter than'));

    it('header length past the end of the file', () => {
      const b = raw(ok, data);
      b.writeBigUInt64LE(10_000n);
      expectError(() => decodeSafetensors(b, file), file, 'past the end');
      b.writeBigUInt64LE(2n ** 63n);
      expectError(() => decodeSafetensors(b, file), file, 'past the end');
    });

    it('bad JSON', () => expectError(() => decodeSafetensors(raw(null, data, '{"w": {'), file), file, 'not valid JSON'));

    it('unknown dtype', () =>
      expectError(() => decodeSafetensors(one({ dtype: 'Q4', shape: [2], data_offsets: [0, 1] }), file), file, "'w'", 'Q4', 'BF16'));

    it('data_offsets outside the data area', () =>
      expectError(() => decodeSafetensors(one({ dtype: 'F32', shape: [8], data_offsets: [0, 32] }), file), file, "'w'", 'outside'));

    it('reversed data_offsets', () =>
      expectError(() => decodeSafetensors(one({ dtype: 'F32', shape: [0], data_offsets: [8, 4] }), file), file, "'w'"));

    it('overlapping data_offsets', () => {
      const both = raw(
        { a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } },
        data,
      );
      expectError(() => decodeSafetensors(both, file), file, "'b'", "'a'", 'overlap');
    });

    it('shape × dtype disagreeing with data_offsets', () =>
      expectError(
        () => decodeSafetensors(one({ dtype: 'BF16', shape: [3], data_offsets: [0, 8] }), file),
        file,
        "'w'",
        '6 bytes',
        'span 8',
      ));

    it('a shape that is not a list of sizes', () =>
      expectError(() => decodeSafetensors(one({ dtype: 'F32', shape: [-1], data_offsets: [0, 4] }), file), file, "'w'", 'shape'));

    it('the same checks apply to files on disk, naming the path', () => {
      const path = join(dir, 'broken.safetensors');
      const longHeader = raw(ok, data);
      longHeader.writeBigUInt64LE(10_000n);
      const cases: [Uint8Array, string[]][] = [
        [new Uint8Array(5), ['shorter than']],
        [longHeader, ['past the end']],
        [raw(null, data, '{"w": {'), ['not valid JSON']],
        [one({ dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] }), ["'w'", 'F8_E4M3']],
        [one({ dtype: 'F32', shape: [8], data_offsets: [0, 32] }), ["'w'", 'outside']],
        [one({ dtype: 'F32', shape: [3], data_offsets: [0, 16] }), ["'w'", '12 bytes']],
      ];
      for (const [bytes, parts] of cases) {
        writeFileSync(path, bytes);
        expectError(() => readSafetensors(path), path, ...parts);
      }
      expectError(() => readSafetensors(join(dir, 'nope.safetensors')), 'nope.safetensors', 'cannot read');
    });
  });

  it('writes only float32 tensors whose data matches their shape', () => {
    assert.throws(() => encodeSafetensors([['x', tensor('int32', [2]) as unknown as Tensor<'float32'>]]), FileFormatError);
    const bad = { dtype: 'float32', shape: [3], data: new Float32Array(2) } as Tensor<'float32'>;
    assert.throws(() => encodeSafetensors([['y', bad]]), /y.*2 values/);
  });
});
