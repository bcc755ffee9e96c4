import { strict as assert } from 'node:assert';
import { TARGET_MODULES } from '../../../src/core/model/config.js';
import { Registry } from '../../../src/core/registry.js';
import { Rng } from '../../../src/core/rng.js';
import { tensor } from '../../../src/core/tensor.js';
import { ConfigError } from '../../../src/core/errors.js';
import type { AdamW } from '../../../src/plugins/adamw/index.js';
import { registerBuiltins } from '../../../src/plugins/index.js';
import {
  LORA_METHOD,
  LORA_OPTIONS,
  LoraTarget,
  budgetMatchedRank,
  initLora,
  loraNames,
  loraParametrization,
  mergeLora,
  register,
} from '../../../src/plugins/lora/index.js';

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

  it('registers the lora parametrization and method = lora + adamw, no strategy', () => {
    const reg = new Registry();
    register(reg);
    assert.deepEqual(reg.parametrizationNames(), ['lora']);
    assert.equal(reg.parametrization('lora'), loraParametrization);
    const { description, ...rest } = reg.method('lora');
    assert.equal(reg.method('lora'), LORA_METHOD);
    assert.deepEqual(rest, { name: 'lora', parametrization: 'lora', optimizer: 'adamw', defaults: { lr: 2e-4, weightDecay: 0 } });
    assert.equal(typeof description, 'string');
    // PEFT's options with the authors' recipe: r 128, dropout 0; alpha has no fixed default (2·rank)
    assert.deepEqual(Object.keys(LORA_OPTIONS).sort(), ['alpha', 'dropout', 'rank']);
    assert.equal(LORA_OPTIONS.rank!.default, 128);
    assert.equal(LORA_OPTIONS.dropout!.default, 0);
    assert.equal(LORA_OPTIONS.alpha!.default, undefined);
  });

  it('resolves with PEFT defaults: r 128, α = 2r, dropout 0, lr 2e-4, AdamW without decay', () => {
    const reg = registerBuiltins(new Registry());
    const r = reg.resolve('lora', {});
    assert.deepEqual(r.options, {
      lr: 2e-4,
      targetModules: [...TARGET_MODULES],
      rank: 128,
      alpha: 256,
      dropout: 0,
      betas: [0.9, 0.95],
      eps: 1e-8,
      weightDecay: 0,
    });
    assert.equal(r.strategy, undefined);
    assert.deepEqual((r.optimizer as AdamW).hyperparameters, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0 });
    const c = reg.resolve('lora', { rank: 8, alpha: 16, dropout: 0.05, targetModules: ['q_proj', 'v_proj'] }).options;
    assert.deepEqual([c.rank, c.alpha, c.dropout, c.targetModules], [8, 16, 0.05, ['q_proj', 'v_proj']]);
    assert.equal(reg.resolve('lora', { rank: 8 }).options.alpha, 16);
    assert.equal(loraParametrization.complete!({ rank: 3 }).alpha, 6);
    assert.equal(loraParametrization.complete!({ rank: 3, alpha: 1 }).alpha, 1);
    for (const [options, path] of [
      [{ rank: 0 }, '/method/options/rank'],
      [{ dropout: 1 }, '/method/options/dropout'],
      [{ alpha: 0 }, '/method/options/alpha'],
      [{ targetModules: ['q_proj', 'lm_head'] }, '/method/options/targetModules/1'],
    ] as const) {
      assert.throws(
        () => reg.resolve('lora', options),
        (e: unknown) => e instanceof ConfigError && e.violations.length === 1 && e.violations[0]!.path === path,
        JSON.stringify(options),
      );
    }
  });

  it('creates A, B from the resolved options and merges W + (α/r)·B·A', async () => {
    const reg = registerBuiltins(new Registry());
    const [m, n] = [6, 5];
    const w0 = Float32Array.from({ length: m * n }, (_, i) => Math.sin(i));
    for (const [options, scale] of [
      [{ rank: 2 }, 2], // α defaults to 2r: scale 2
      [{ rank: 2, alpha: 1 }, 0.5],
      [{ rank: 3, alpha: 9 }, 3],
    ] as const) {
      const r = reg.resolve('lora', options);
      const rank = options.rank;
      const weight = w0.slice();
      const target = (await r.parametrization.create({ name: 'model.layers.0.self_attn.q_proj.weight', rows: m, cols: n, weight }, r.options, {
        maskRng: new Rng(0),
        initRng: new Rng(11),
      })) as LoraTarget;
      assert.ok(target instanceof LoraTarget);
      assert.deepEqual(target.spec, { rank, alpha: scale * rank, dropout: 0 });
      // PEFT's init from the run's init rng; B = 0, so the adapted weight starts as W
      assert.deepEqual(target.a, initLora(m, n, rank, new Rng(11)).a.data);
      assert.ok(target.b.every((x) => x === 0));
      assert.deepEqual(target.merged().data, w0);
      // the optimizer trains A and B under PEFT's names
      const names = loraNames('model.layers.0.self_attn.q_proj.weight');
      assert.deepEqual(names, { a: 'model.layers.0.self_attn.q_proj.lora_A.weight', b: 'model.layers.0.self_attn.q_proj.lora_B.weight' });
      assert.deepEqual([...target.vectors().keys()], [names.a, names.b]);
      assert.equal(target.vectors().get(names.a), target.a);
      assert.equal(target.vectors().get(names.b), target.b);
      assert.deepEqual([...target.adapter!()].map(([k, t]) => [k, t.shape]), [[names.a, [rank, n]], [names.b, [m, rank]]]);
      // once B moves, merged() is W + scale·B·A by the triple loop
      target.b.forEach((_, i) => (target.b[i] = Math.cos(i) / 4));
      const got = target.merged().data;
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let t = 0; t < rank; t++) s += target.b[i * rank + t]! * target.a[t * n + j]!;
          const want = w0[i * n + j]! + scale * s;
          assert.ok(Math.abs(got[i * n + j]! - want) < 1e-6, `${JSON.stringify(options)} [${i}, ${j}]: ${got[i * n + j]} vs ${want}`);
        }
      assert.deepEqual(weight, w0, 'W itself stays frozen');
    }
  });

  it('checkpoints A and B and restores them', async () => {
    const r = registerBuiltins(new Registry()).resolve('lora', { rank: 2 });
    const make = () => r.parametrization.create({ name: 'w', rows: 3, cols: 4, weight: new Float32Array(12) }, r.options, { maskRng: new Rng(0), initRng: new Rng(1) });
    const src = (await make()) as LoraTarget;
    src.b.set([1, 2, 3, 4, 5, 6]);
    const saved = src.checkpoint();
    assert.deepEqual([...saved.keys()], ['w.lora_A.weight', 'w.lora_B.weight']);
    const dst = (await r.parametrization.create({ name: 'w', rows: 3, cols: 4, weight: new Float32Array(12) }, r.options, { maskRng: new Rng(0), initRng: new Rng(99) })) as LoraTarget;
    assert.notDeepEqual(dst.a, src.a);
    dst.restore((key, length) => {
      const t = saved.get(key)!;
      assert.equal(t.data.length, length, key);
      return t.data;
    });
    assert.deepEqual(dst.a, src.a);
    assert.deepEqual(dst.b, src.b);
    assert.deepEqual(dst.merged().data, src.merged().data);
  });
});
