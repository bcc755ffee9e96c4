/**
 * Checkpoints in memory (a browser tab's CheckpointStore): what was saved is what comes back,
 * however the trainer's live arrays change afterwards, and only the newest of each run is kept.
 */
import { strict as assert } from 'node:assert';
import { MemoryCheckpointStore } from '../../../src/core/training/memory-checkpoints.js';
import type { Checkpoint } from '../../../src/core/training/checkpoint-state.js';
import { tensor } from '../../../src/core/tensor.js';

function checkpointAt(step: number, values: Float32Array, moments: Float32Array, losses: { step: number; loss: number }[]): Omit<Checkpoint, 'dir'> {
  return {
    state: {
      step,
      totalSteps: 10,
      method: 'lift',
      loader: { epoch: 0, index: step } as never,
      rng: [1, 2, 3, 4],
      tokens: 100 * step,
      elapsedSeconds: step,
      losses,
      optimizer: { name: 'sparse-adam', hyper: { lr: 1e-3 }, steps: { w: step } },
    },
    tensors: new Map([['w.values', tensor('float32', [values.length], values)]]),
    optimizer: { name: 'sparse-adam', hyper: { lr: 1e-3 }, params: { w: { step, buffers: { m: moments } } } },
  };
}

describe('MemoryCheckpointStore', () => {
  it('returns what was saved, unchanged by later writes to the live arrays', () => {
    const store = new MemoryCheckpointStore();
    const values = Float32Array.of(1, 2, 3);
    const moments = Float32Array.of(0.5, 0.25, 0.125);
    const losses = [{ step: 1, loss: 2 }];
    assert.equal(store.latest('run'), null);
    const where = store.save('run', checkpointAt(1, values, moments, losses));
    values[0] = 99;
    moments[1] = 99;
    losses.push({ step: 2, loss: 1.5 });
    const ck = store.latest('run')!;
    assert.equal(ck.dir, where);
    assert.deepEqual([...(ck.tensors.get('w.values')!.data as Float32Array)], [1, 2, 3]);
    assert.deepEqual([...ck.optimizer.params.w!.buffers.m!], [0.5, 0.25, 0.125]);
    assert.deepEqual(ck.state.losses, [{ step: 1, loss: 2 }]);
  });

  it('keeps the newest checkpoint of each run apart', () => {
    const store = new MemoryCheckpointStore();
    store.save('a', checkpointAt(2, Float32Array.of(1), Float32Array.of(1), []));
    store.save('a', checkpointAt(4, Float32Array.of(2), Float32Array.of(2), []));
    store.save('b', checkpointAt(1, Float32Array.of(3), Float32Array.of(3), []));
    assert.equal(store.latest('a')!.state.step, 4);
    assert.equal(store.latest('b')!.state.step, 1);
  });
});
