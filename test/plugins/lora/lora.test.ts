import { strict as assert } from 'node:assert';
import { TARGET_MODULES } from '../../../src/core/model/config.js';
import { Registry } from '../../../src/core/registry.js';
import { Rng } from '../../../src/core/rng.js';
import { tensor } from '../../../src/core/tensor.js';
import { budgetMatchedRank, initLora, loraScale, mergeLora, readLoraConfig, register } from '../../../src/plugins/lora/index.js';

describe('lora', () => {
  it('initializes A ~ U(−1/√n, 1/√n) (kaiming_uniform_, a=√5) and B = 0, reproducibly', () => {
    const [m, n, r] = [96, 400, 16];
    const { a, b } = initLora(m, n, r, new Rng(1));
    assert.deepEqual(a.shape, [r, n]);
    assert.deepEqual(b.shape, [m, r]);
    assert.ok(b.data.every((x) => x === 0));
    const bound = 1 / Math.sqrt(n); // gain √(2/(1+5)) · √(3/n)
    let sum = 0;
    let sq = 0;
    for (const x of a.data) {
      assert.ok(Math.abs(x) <= bound);
      sum += x;
      sq += x * x;
    }
    const N = a.data.length;
    const variance = sq / N - (sum / N) ** 2;
    assert.ok(Math.abs(variance / (bound * bound / 3) - 1) < 0.05, `variance ${variance}`); // U(−b, b) has variance b²/3
    assert.ok(Math.abs(sum / N) < 4 * Math.sqrt(bound * bound / 3 / N));
    assert.deepEqual(initLora(m, n, r, new Rng(1)).a.data, a.data);
    assert.notDeepEqual(initLora(m, n, r, new Rng(2)).a.data, a.data);
  });

  it('merges W + scale·B·A like a plain triple loop', () => {
    const [m, n, r] = [7, 5, 3];
    const rng = new Rng(3);
    const rand = (len: number) => Float32Array.from({ length: len }, () => rng.normal());
    const w = tensor('float32', [m, n], rand(m * n));
    const a = tensor('float32', [r, n], rand(r * n));
    const b = tensor('float32', [m, r], rand(m * r));
    const scale = 256 / 128;
    const got = mergeLora(w, a, b, scale);
    assert.deepEqual(got.shape, [m, n]);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < r; t++) s += b.data[i * r + t]! * a.data[t * n + j]!;
        assert.ok(Math.abs(got.data[i * n + j]! - (w.data[i * n + j]! + scale * s)) < 1e-5);
      }
    // with B = 0 (fresh init) the merge is W itself
    const init = initLora(m, n, r, rng);
    assert.deepEqual(mergeLora(w, init.a, init.b, scale).data, w.data);
    assert.throws(() => mergeLora(w, b, a, scale), /LoRA shapes do not fit/);
  });

  it('matches rank to budget: (m+n)·r ≈ k', () => {
    assert.equal(budgetMatchedRank(4096, 4096, 8192 * 128), 128);
    assert.equal(budgetMatchedRank(4096, 11008, 15104 * 8), 8);
    assert.equal(budgetMatchedRank(100, 50, 150 * 3 + 70), 3); // rounds to the nearest
    assert.equal(budgetMatchedRank(100, 50, 10), 1); // at least 1
    assert.equal(budgetMatchedRank(16, 16, 16 * 16), 8);
    assert.equal(budgetMatchedRank(4, 64, 4 * 64), 4); // at most min(m, n)
    assert.throws(() => budgetMatchedRank(4, 4, 0), /k must be a positive integer/);
  });

  it('reads options with PEFT defaults and registers the lora method', () => {
    assert.deepEqual(readLoraConfig({}), { rank: 128, alpha: 256, dropout: 0, targetModules: [...TARGET_MODULES] });
    const c = readLoraConfig({ rank: 8, alpha: 16, dropout: 0.05, targetModules: ['q_proj', 'v_proj'] });
    assert.deepEqual(c, { rank: 8, alpha: 16, dropout: 0.05, targetModules: ['q_proj', 'v_proj'] });
    assert.equal(loraScale(c), 2);
    assert.throws(() => readLoraConfig({ rank: 0 }), /'rank'/);
    assert.throws(() => readLoraConfig({ dropout: 1 }), /'dropout'/);
    assert.throws(() => readLoraConfig({ targetModules: ['q_proj', 'lm_head'] }), /'targetModules'.*lm_head/);
    const reg = new Registry();
    register(reg);
    const method = reg.method('lora');
    assert.equal(method.parametrization, 'lora');
    assert.equal(method.optimizer, 'adamw');
    assert.equal(method.strategy, undefined);
    assert.deepEqual(method.defaults, { lr: 2e-4, rank: 128, alpha: 256, dropout: 0, weightDecay: 0, targetModules: [...TARGET_MODULES] });
  });
});
