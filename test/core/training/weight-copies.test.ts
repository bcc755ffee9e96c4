import { strict as assert } from 'node:assert';
import { WeightCopies } from '../../../src/core/training/masks.js';

describe('WeightCopies (the weights a batch of pooled selections sends to its threads)', () => {
  it('hands out a copy of the weight, and after it comes back reuses its buffer for the next weight of that size', () => {
    const copies = new WeightCopies();
    const a = Float32Array.from([1, 2, 3]);
    const first = copies.take(a);
    assert.notEqual(first, a);
    assert.deepEqual(first, a);
    a[0] = 9; // the copy is the weight as it was
    assert.equal(first[0], 1);
    copies.give(first);
    const b = Float32Array.from([4, 5, 6]);
    const second = copies.take(b);
    assert.equal(second.buffer, first.buffer);
    assert.deepEqual(second, b);
    // another size gets its own buffer; none is reused twice at once
    assert.notEqual(copies.take(Float32Array.from([7, 8])).buffer, first.buffer);
    assert.notEqual(copies.take(b).buffer, second.buffer);
  });

  it('keeps no copy whose buffer stayed with the thread (detached)', () => {
    const copies = new WeightCopies();
    const copy = copies.take(Float32Array.from([1, 2]));
    structuredClone(copy.buffer, { transfer: [copy.buffer] }); // detaches it, as a transfer away does
    copies.give(copy);
    const next = copies.take(Float32Array.from([3, 4]));
    assert.deepEqual(next, Float32Array.from([3, 4]));
    assert.equal(next.buffer.byteLength, 8);
  });
});
