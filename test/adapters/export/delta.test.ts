/**
 * The sparse delta of a LIFT run (with mask refreshes) and the principal-weight masks alone:
 * applied to the base the delta rebuilds the fine-tuned weights bit for bit at about k·8 bytes
 * a matrix; masks are the entries a run trains; corrupt files are refused by name.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModelDir } from '../../../src/adapters/huggingface/checkpoint.js';
import { readTensors, writeTensors } from '../../../src/adapters/huggingface/safetensors.js';
import { DELTA_FILE, applyDelta, readDelta } from '../../../src/adapters/export/delta.js';
import { readMetadata } from '../../../src/adapters/export/metadata.js';
import { MASKS_FILE, readMasks } from '../../../src/adapters/export/masks.js';
import { trainedSource, writeExports } from '../../../src/api/export.js';
import { exportMasks } from '../../../src/api/masks.js';
import { train, type TrainOutcome } from '../../../src/api/train.js';
import { validateRunConfig } from '../../../src/core/config/validate.js';
import { FileFormatError, LiftError } from '../../../src/core/errors.js';
import { maskBudget } from '../../../src/core/linalg/budget.js';
import { tensor } from '../../../src/core/tensor.js';
import { writeTinyModel } from '../../helpers/tiny-model.js';

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

describe('sparse delta and masks', function () {
  this.timeout(120_000);
  let tmp: string;
  let base: string;
  let lift: TrainOutcome;
  const rank = 2;
  const run = (name: string, method: Record<string, unknown>) =>
    validateRunConfig({
      model: base,
      data: { train: 'fixtures/data/target_val.jsonl', maxLength: 64 },
      method,
      optimizer: { lr: 5e-3 },
      steps: 4,
      batchSize: 4,
      evaluation: { generate: false },
      output: { dir: join(tmp, name) },
    });

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'lift-delta-'));
    base = writeTinyModel(join(tmp, 'base'));
    const r = run('lift', { name: 'lift', options: { rank, filterRank: 4, interval: 2 } });
    lift = await train(r, { onNotice: () => {} });
    writeExports(join(tmp, 'lift'), trainedSource(r, lift.model, lift.result), ['hf', 'delta']);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('rebuilds the fine-tuned weights bitwise from the base, at about k·8 bytes a matrix', () => {
    const dir = join(tmp, 'lift', 'delta');
    const d = readDelta(dir);
    const rebuilt = applyDelta(loadModelDir(base).weights, d, join(dir, DELTA_FILE));
    const tuned = loadModelDir(join(tmp, 'lift', 'model')).weights;
    for (const [name, t] of tuned) assert.deepEqual(bits(rebuilt.get(name)!.data), bits(t.data), name);
    let entries = 0;
    let budget = 0;
    for (const [name, m] of d.matrices) {
      const k = maskBudget(m.rows, m.cols, { rank });
      budget += k;
      entries += m.values.length;
      // every trained entry changed; a refresh (step 2) adds the entries that left the mask
      assert.ok(m.values.length >= k * 0.9 && m.values.length <= 2 * k, `${name}: ${m.values.length} entries, k = ${k}`);
      assert.ok(m.indices instanceof Int32Array);
    }
    const bytes = statSync(join(dir, DELTA_FILE)).size;
    assert.ok(bytes < entries * 8 + 8192, `${bytes} bytes for ${entries} entries`);
    assert.ok(bytes < statSync(join(tmp, 'lift', 'model', 'model.safetensors')).size / 2);
    const meta = readMetadata(join(dir, DELTA_FILE));
    assert.deepEqual(
      [meta['lift_sft.kind'], meta['lift_sft.method'], meta['lift_sft.rank'], meta['lift_sft.filter_rank'], meta['lift_sft.selection'], meta['lift_sft.base_model']],
      ['sparse-delta', 'lift', '2', '4', 'largest', base],
    );
    assert.ok(entries > budget, 'the refresh at step 2 moved some entries');
  });

  it('refuses, naming the file and tensor: indices out of range or unsorted, another base, a missing file', () => {
    const dir = join(tmp, 'lift', 'delta');
    const file = join(dir, DELTA_FILE);
    const meta = readMetadata(file);
    const tensors = readTensors(file);
    const name = 'model.layers.0.self_attn.q_proj.weight';
    const corrupt = (label: string, idx: Int32Array) => {
      const bad = join(tmp, label);
      const copy = new Map(tensors);
      copy.set(`${name}.indices`, tensor('int32', [idx.length], idx));
      const { format: _f, ...rest } = meta;
      writeTensors(join(bad, DELTA_FILE), copy, rest);
      return bad;
    };
    const idx = Int32Array.from(tensors.get(`${name}.indices`)!.data as Int32Array);
    const out = Int32Array.from(idx);
    out[out.length - 1] = 32 * 32;
    const dirOut = corrupt('out-of-range', out);
    assert.throws(() => readDelta(dirOut), (e: unknown) => e instanceof FileFormatError && e.code === 'E_DELTA' && e.file === join(dirOut, DELTA_FILE) && /q_proj\.weight\.indices'\[\d+\] = 1024 is out of range \[0, 1024\)/.test(e.message));
    const unsorted = Int32Array.from(idx);
    [unsorted[3], unsorted[4]] = [unsorted[4]!, unsorted[3]!];
    assert.throws(() => readDelta(corrupt('unsorted', unsorted)), /q_proj\.weight\.indices' is not strictly ascending at entry 4/);

    const other = loadModelDir(base).weights;
    other.get(name)!.data[0]! += 1;
    assert.throws(() => applyDelta(other, readDelta(dir), file), (e: unknown) => e instanceof FileFormatError && e.code === 'E_DELTA' && /other base weights/.test(e.message));
    assert.throws(() => readDelta(join(tmp, 'none')), (e: unknown) => e instanceof FileFormatError && e.file === join(tmp, 'none', DELTA_FILE));
  });

  it('masks alone: the entries a run with the same options trains, int64 row-major, for another trainer', async () => {
    // interval 0: the run never refreshes, so its final masks are the masks it started with
    const r = run('fixed', { name: 'lift', options: { rank, filterRank: 4, interval: 0 } });
    const fixed = await train(r, { onNotice: () => {} });
    const out = join(tmp, 'masks');
    const { file } = await exportMasks(out, { model: base, method: 'lift', options: { rank, filterRank: 4 }, seed: r.seed });
    assert.equal(file, join(out, MASKS_FILE));
    const m = readMasks(out);
    assert.equal(m.masks.size, fixed.result.masks.size);
    for (const [name, indices] of fixed.result.masks) assert.deepEqual(m.masks.get(name)!.indices, indices, name);
    assert.equal(readTensors(file).get('model.layers.1.mlp.down_proj.weight')!.dtype, 'int64');
    // magnitude: the k largest |w| of each matrix, ties to the lower flat index
    const mag = await exportMasks(join(tmp, 'mag'), { model: base, method: 'magnitude', options: { rank: 1 } });
    const w = loadModelDir(base).weights.get('model.layers.0.mlp.up_proj.weight')!;
    const k = maskBudget(w.shape[0]!, w.shape[1]!, { rank: 1 });
    const order = Array.from(w.data.keys()).sort((a, b) => Math.abs(w.data[b]!) - Math.abs(w.data[a]!) || a - b);
    assert.deepEqual(Array.from(mag.masks.masks.get('model.layers.0.mlp.up_proj.weight')!.indices), order.slice(0, k).sort((a, b) => a - b));
    await assert.rejects(exportMasks(join(tmp, 'lora'), { model: base, method: 'lora' }), (e: unknown) => e instanceof LiftError && e.code === 'E_EXPORT' && /selects no mask/.test(e.message));
  });
});
