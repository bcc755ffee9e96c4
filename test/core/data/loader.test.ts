import assert from 'node:assert/strict';
import { bucketLength, collate } from '../../../src/core/data/batch.js';
import { SftDataLoader } from '../../../src/core/data/loader.js';
import { IGNORE_INDEX, type TokenizedExample } from '../../../src/core/data/tokenize.js';

/** An example of `n` tokens whose last `r` are response tokens; ids encode (example, position). */
function example(id: number, n: number, r = Math.ceil(n / 2)): TokenizedExample {
  const inputIds = Int32Array.from({ length: n }, (_, i) => 100 * id + i + 10);
  const labels = inputIds.map((v, i) => (i < n - r ? IGNORE_INDEX : v));
  return { inputIds, labels, promptLength: n - r, truncated: false };
}

const PAD = 0;

describe('batching and bucketing', () => {
  it('rounds lengths up to multiples, powers of two, or not at all', () => {
    assert.equal(bucketLength(1), 16);
    assert.equal(bucketLength(16), 16);
    assert.equal(bucketLength(17), 32);
    assert.equal(bucketLength(100, { kind: 'multiple', multiple: 8 }), 104);
    assert.equal(bucketLength(100, { kind: 'pow2' }), 128);
    assert.equal(bucketLength(3, { kind: 'pow2', min: 16 }), 16);
    assert.equal(bucketLength(129, { kind: 'pow2', min: 16 }), 256);
    assert.equal(bucketLength(37, { kind: 'none' }), 37);
    assert.throws(() => bucketLength(5, { kind: 'multiple', multiple: 0 }), /multiple/);
    assert.throws(() => bucketLength(-1), /length/);
  });

  it('pads on the right: pad id, attention mask 0, labels -100', () => {
    const b = collate([example(1, 5), example(2, 18), example(3, 1, 1)], PAD, { indices: [7, 8, 9] });
    assert.deepEqual(b.inputIds.shape, [3, 32]);
    assert.deepEqual(b.attentionMask.shape, [3, 32]);
    assert.deepEqual(b.labels.shape, [3, 32]);
    assert.deepEqual(b.indices, [7, 8, 9]);
    assert.deepEqual(b.lengths, [5, 18, 1]);
    const T = 32;
    const lens = [5, 18, 1];
    const exs = [example(1, 5), example(2, 18), example(3, 1, 1)];
    lens.forEach((n, row) => {
      for (let t = 0; t < T; t++) {
        const k = row * T + t;
        if (t < n) {
          assert.equal(b.inputIds.data[k], exs[row]!.inputIds[t]);
          assert.equal(b.attentionMask.data[k], 1);
          assert.equal(b.labels.data[k], exs[row]!.labels[t]);
        } else {
          assert.equal(b.inputIds.data[k], PAD);
          assert.equal(b.attentionMask.data[k], 0);
          assert.equal(b.labels.data[k], IGNORE_INDEX);
        }
      }
    });
    assert.equal(b.labelTokens, 3 + 9 + 1);
    assert.throws(() => collate([], PAD), /empty/);
  });
});

describe('seeded epoch loader', () => {
  const data = Array.from({ length: 23 }, (_, i) => example(i, 3 + ((i * 7) % 40)));
  const flat = (batches: number[][]): number[] => batches.flat();

  it('gives the same order for the same seed, another for another seed, a permutation each epoch', () => {
    const a = new SftDataLoader(data, PAD, { batchSize: 4, seed: 42 });
    const b = new SftDataLoader(data, PAD, { batchSize: 4, seed: 42 });
    const c = new SftDataLoader(data, PAD, { batchSize: 4, seed: 43 });
    assert.deepEqual(a.epochBatches(0), b.epochBatches(0));
    assert.deepEqual(a.epochBatches(3), b.epochBatches(3));
    assert.notDeepEqual(flat(a.epochBatches(0)), flat(c.epochBatches(0)));
    assert.notDeepEqual(flat(a.epochBatches(0)), flat(a.epochBatches(1)));
    for (const e of [0, 1, 2]) {
      assert.deepEqual([...flat(a.epochBatches(e))].sort((x, y) => x - y), data.map((_, i) => i));
    }
    assert.equal(a.batchesPerEpoch, 6);
    assert.equal(a.epochBatches(0).at(-1)!.length, 3);
    const ordered = new SftDataLoader(data, PAD, { batchSize: 4, seed: 42, shuffle: false });
    assert.deepEqual(flat(ordered.epochBatches(5)), data.map((_, i) => i));
  });

  it('iterates epochs and resumes from a saved position with identical batches', () => {
    const run = new SftDataLoader(data, PAD, { batchSize: 5, seed: 7 });
    const seen: number[][] = [];
    const positions = [];
    for (let step = 0; step < 13; step++) {
      positions.push(run.position);
      seen.push(run.next().indices);
    }
    assert.deepEqual(positions[5], { epoch: 1, index: 0 });
    assert.deepEqual(seen.slice(0, 5).flat().sort((x, y) => x - y), data.map((_, i) => i));

    for (const resumeAt of [0, 3, 5, 9]) {
      const resumed = new SftDataLoader(data, PAD, { batchSize: 5, seed: 7 });
      resumed.seek(positions[resumeAt]!);
      for (let step = resumeAt; step < 13; step++) {
        const batch = resumed.next();
        assert.deepEqual(batch.indices, seen[step], `step ${step} after resuming at ${resumeAt}`);
      }
    }
    const resumed = new SftDataLoader(data, PAD, { batchSize: 5, seed: 7 });
    resumed.seek(run.position);
    assert.deepEqual(resumed.next().indices, run.next().indices);
    assert.throws(() => resumed.seek({ epoch: 0, index: 99 }), /outside/);
    resumed.seek({ epoch: 2, index: 5 });
    assert.deepEqual(resumed.position, { epoch: 3, index: 0 }, 'the end of an epoch is the start of the next');
  });

  it('yields the rest of an epoch and drops a short last batch when asked', () => {
    const loader = new SftDataLoader(data, PAD, { batchSize: 5, seed: 1, dropLast: true });
    assert.equal(loader.batchesPerEpoch, 4);
    const epoch0 = [...loader.epoch()];
    assert.equal(epoch0.length, 4);
    assert.ok(epoch0.every((b) => b.indices.length === 5));
    assert.deepEqual(loader.position, { epoch: 1, index: 0 });
    loader.next();
    const epoch1 = [...loader.epoch()];
    assert.equal(epoch1.length, 3, 'the rest of epoch 1');
    assert.deepEqual(loader.position, { epoch: 2, index: 0 });
    assert.throws(() => new SftDataLoader(data.slice(0, 3), PAD, { batchSize: 5, seed: 1, dropLast: true }), /no batch/);
  });

  it('groups by length to cut padding, keeping the order seeded', () => {
    const padding = (loader: SftDataLoader): number => {
      let pad = 0;
      for (const b of loader.epoch()) pad += b.inputIds.data.length - b.lengths.reduce((s, n) => s + n, 0);
      return pad;
    };
    const opts = { batchSize: 4, seed: 3, bucketing: { kind: 'none' } as const };
    const grouped = new SftDataLoader(data, PAD, { ...opts, groupByLength: 50 });
    assert.ok(padding(grouped) < padding(new SftDataLoader(data, PAD, opts)));
    const again = new SftDataLoader(data, PAD, { ...opts, groupByLength: 50 });
    assert.deepEqual(again.epochBatches(0), grouped.epochBatches(0));
    const lengths = flat(grouped.epochBatches(0)).map((i) => data[i]!.inputIds.length);
    assert.deepEqual(lengths, [...lengths].sort((x, y) => y - x));
  });
});
