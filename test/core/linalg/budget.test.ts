import { strict as assert } from 'node:assert';
import { maskBudget } from '../../../src/core/linalg/budget.js';
import { InvalidArgumentError } from '../../../src/core/errors.js';

describe('maskBudget', () => {
  it('gives (m+n)·r, the parameter count of a rank-r LoRA adapter', () => {
    assert.equal(maskBudget(4096, 4096, { rank: 128 }), 8192 * 128); // square
    assert.equal(maskBudget(1024, 4096, { rank: 16 }), 5120 * 16); // wide
    assert.equal(maskBudget(11008, 4096, { rank: 8 }), 15104 * 8); // tall
  });

  it('defaults to rank 128', () => {
    assert.equal(maskBudget(2048, 2048), 4096 * 128);
  });

  it('caps at m·n when (m+n)·r exceeds the matrix', () => {
    assert.equal(maskBudget(64, 64, { rank: 128 }), 64 * 64);
    assert.equal(maskBudget(10, 30, { rank: 7 }), 280); // 40·7 = 280 < 300
    assert.equal(maskBudget(10, 30, { rank: 8 }), 300); // 40·8 = 320 > 300
  });

  it('uses round(density·m·n) when a density is given, overriding rank', () => {
    assert.equal(maskBudget(100, 50, { density: 0.01 }), 50);
    assert.equal(maskBudget(3, 3, { density: 0.5, rank: 1 }), 5); // 4.5 rounds up
    assert.equal(maskBudget(7, 9, { density: 1 }), 63);
  });

  it('rejects bad inputs naming the field', () => {
    const bad: [number, number, object, string][] = [
      [0, 4, {}, 'm'],
      [4, 2.5, {}, 'n'],
      [4, 4, { rank: 0 }, 'rank'],
      [4, 4, { rank: 1.5 }, 'rank'],
      [4, 4, { density: 0 }, 'density'],
      [4, 4, { density: 1.2 }, 'density'],
      [4, 4, { density: Number.NaN }, 'density'],
    ];
    for (const [m, n, o, field] of bad) {
      assert.throws(
        () => maskBudget(m, n, o),
        (e: unknown) => e instanceof InvalidArgumentError && e.message.startsWith(field) && e.details?.field === field,
      );
    }
  });
});
