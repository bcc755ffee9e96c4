import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSafetensorsHeader, readSafetensors } from '../../../src/adapters/huggingface/safetensors.js';
import { SafetensorsStore } from '../../../src/adapters/huggingface/tensor-store.js';
import { tensor, type Tensor } from '../../../src/core/tensor.js';

describe('SafetensorsStore (TensorStore)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lift-store-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('saves and loads every dtype exactly, with metadata', () => {
    const tensors = new Map<string, Tensor>([
      ['w', tensor('float32', [2, 2], Float32Array.from([1.1, -2.2, 3.3e-30, 4e30]))],
      ['w.mask', tensor('int32', [3], Int32Array.from([0, 16_777_217, 2_000_000_001]))],
      ['m::exp_avg', tensor('float64', [2], Float64Array.from([Math.PI, -1e-300]))],
      ['n', tensor('int64', [2], BigInt64Array.from([2n ** 60n + 1n, -5n]))],
      ['h', tensor('float16', [2], Uint16Array.from([0x3c00, 0x7bff]))],
      ['b', tensor('bfloat16', [1], Uint16Array.from([0x4049]))],
      ['flag', tensor('bool', [3], Uint8Array.from([1, 0, 1]))],
    ]);
    const store = new SafetensorsStore();
    const file = join(dir, 'ck', 'targets.safetensors');
    store.save(file, tensors, { step: '12' });
    const header = parseSafetensorsHeader(readFileSync(file), file);
    assert.deepEqual(header.metadata, { step: '12', format: 'pt' });
    assert.deepEqual(
      Object.fromEntries(header.entries.map((e) => [e.name, e.dtype])),
      { w: 'F32', 'w.mask': 'I32', 'm::exp_avg': 'F64', n: 'I64', h: 'F16', b: 'BF16', flag: 'BOOL' },
    );
    const back = store.load(file);
    assert.equal(back.size, tensors.size);
    for (const [name, t] of tensors) {
      const b = back.get(name)!;
      assert.equal(b.dtype, t.dtype, name);
      assert.deepEqual(b.shape, t.shape, name);
      assert.deepEqual(Array.from(b.data as ArrayLike<unknown>), Array.from(t.data as ArrayLike<unknown>), name);
    }
    // The float32 weight reader takes the same file, widening what it can.
    const widened = readSafetensors(file);
    assert.deepEqual(Array.from(widened.get('h')!.data), [1, 65504]);
    assert.deepEqual(Array.from(widened.get('flag')!.data), [1, 0, 1]);
  });
});
