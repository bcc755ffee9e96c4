import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafetensorsStore } from '../../../src/adapters/huggingface/tensor-store.js';
import { fallBackToGood, latestCheckpointDir, loadCheckpoint, saveCheckpoint, type Checkpoint } from '../../../src/core/training/checkpoint.js';
import { tensor } from '../../../src/core/tensor.js';

/** A checkpoint of one 4-value target at `step` of `total`; `value` fills its weights, `losses` its history. */
function ck(step: number, total: number, value = 0.5, losses = Array.from({ length: step }, (_, i) => ({ step: i + 1, loss: 2 - i * 0.01 }))): Omit<Checkpoint, 'dir'> {
  return {
    state: {
      step,
      totalSteps: total,
      method: 'm',
      loader: { epoch: 0, index: 0 },
      rng: [1, 2, 3, 4],
      tokens: 0,
      elapsedSeconds: 0,
      losses,
      optimizer: { name: 'o', hyper: {}, steps: { w: step } },
    },
    tensors: new Map([['w', tensor('float32', [4], new Float32Array(4).fill(value))]]),
    optimizer: { name: 'o', hyper: {}, params: { w: { step, buffers: { m: new Float32Array(4), v: new Float32Array(4) } } } },
  };
}

const checkpoints = (dir: string) => readdirSync(dir).filter((e) => e.startsWith('checkpoint-')).sort();
const pointer = (dir: string) => JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8'));

describe('checkpoint files: what cleanup keeps and deletes', () => {
  const store = new SafetensorsStore();
  let root: string;
  before(() => (root = mkdtempSync(join(tmpdir(), 'lift-ckfiles-'))));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('keeps the newest checkpoint and the newest good one, and deletes only checkpoints it wrote', () => {
    const dir = join(root, 'keep');
    mkdirSync(join(dir, 'checkpoint-3'), { recursive: true });
    writeFileSync(join(dir, 'checkpoint-3', 'notes.txt'), 'not written by the run');
    saveCheckpoint(store, dir, ck(2, 10));
    assert.deepEqual(checkpoints(dir), ['checkpoint-2', 'checkpoint-3']);
    assert.equal(pointer(dir).good, undefined, 'nothing is known to resume finitely yet');
    saveCheckpoint(store, dir, ck(4, 10));
    // step 3 trained on a finite loss after checkpoint-2: it is good, and kept beside the newest
    assert.deepEqual(checkpoints(dir), ['checkpoint-2', 'checkpoint-3', 'checkpoint-4']);
    assert.equal(pointer(dir).good, 'checkpoint-2');
    saveCheckpoint(store, dir, ck(6, 10));
    assert.deepEqual(checkpoints(dir), ['checkpoint-3', 'checkpoint-4', 'checkpoint-6'], 'checkpoint-2 went; the foreign checkpoint-3 stayed');
    assert.deepEqual(pointer(dir), { checkpoint: 'checkpoint-6', step: 6, finite: true, good: 'checkpoint-4', own: ['checkpoint-4', 'checkpoint-6'] });
    saveCheckpoint(store, dir, ck(10, 10));
    assert.deepEqual(checkpoints(dir), ['checkpoint-10', 'checkpoint-3'], 'the finished run keeps its last checkpoint only');
    assert.equal(readFileSync(join(dir, 'checkpoint-3', 'notes.txt'), 'utf8'), 'not written by the run');
  });

  it('a checkpoint with a non-finite tensor is never good; a stop falls back to the good one and latest.json names it', () => {
    const dir = join(root, 'nan');
    saveCheckpoint(store, dir, ck(2, 10));
    saveCheckpoint(store, dir, ck(4, 10));
    const bad = saveCheckpoint(store, dir, ck(6, 10, NaN));
    assert.equal(pointer(dir).finite, false);
    // even with later steps logged fine, a non-finite checkpoint is not what a resume may use
    assert.equal(fallBackToGood(bad, 9), join(dir, 'checkpoint-4'));
    assert.equal(latestCheckpointDir(dir), join(dir, 'checkpoint-4'));
    assert.equal(loadCheckpoint(store, join(dir, 'checkpoint-4')).state.step, 4);
  });

  it('the newest checkpoint is the fallback when the step after it trained; not when the very next step failed', () => {
    const dir = join(root, 'next');
    saveCheckpoint(store, dir, ck(2, 10));
    const newest = saveCheckpoint(store, dir, ck(4, 10));
    assert.equal(fallBackToGood(newest, 7), newest, 'steps 5 and 6 trained on finite losses');
    assert.equal(fallBackToGood(newest, 5), join(dir, 'checkpoint-2'), 'step 5 is the one that failed');
    assert.equal(latestCheckpointDir(dir), join(dir, 'checkpoint-2'));
  });

  it('without latest.json, a resume finds the newest complete checkpoint, never none', () => {
    const dir = join(root, 'pointerless');
    saveCheckpoint(store, dir, ck(2, 10));
    saveCheckpoint(store, dir, ck(4, 10));
    rmSync(join(dir, 'latest.json'));
    mkdirSync(join(dir, 'checkpoint-6')); // incomplete: no state.json
    assert.equal(latestCheckpointDir(dir), join(dir, 'checkpoint-4'));
  });
});
