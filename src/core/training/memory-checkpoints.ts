/**
 * Checkpoints held in memory: the newest one of each run, for hosts without a file system (a
 * browser tab) and for benchmarks that measure training rather than the disk. Copies what it is
 * given, as writing a file would: the trainer keeps mutating its live arrays after a save.
 */
import type { CheckpointStore } from '../contracts.js';
import type { Tensor } from '../tensor.js';
import type { Checkpoint } from './checkpoint-state.js';

export class MemoryCheckpointStore implements CheckpointStore {
  private readonly newest = new Map<string, Checkpoint>();

  save(outDir: string, ck: Omit<Checkpoint, 'dir'>): string {
    const dir = `${outDir}/checkpoint-${ck.state.step}`;
    const tensors = new Map<string, Tensor>();
    for (const [k, t] of ck.tensors) tensors.set(k, { dtype: t.dtype, shape: [...t.shape], data: t.data.slice() } as Tensor);
    const params = Object.fromEntries(
      Object.entries(ck.optimizer.params).map(([name, p]) => [
        name,
        { step: p.step, buffers: Object.fromEntries(Object.entries(p.buffers).map(([b, data]) => [b, data.slice()])) },
      ]),
    );
    this.newest.set(outDir, {
      dir,
      state: structuredClone(ck.state),
      tensors,
      optimizer: { name: ck.optimizer.name, hyper: structuredClone(ck.optimizer.hyper), params },
    });
    return dir;
  }

  latest(outDir: string): Checkpoint | null {
    return this.newest.get(outDir) ?? null;
  }
}
