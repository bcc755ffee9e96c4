import { strict as assert } from 'node:assert';
import { ConfigError, InvalidArgumentError } from '../../../src/core/errors.js';
import { Registry } from '../../../src/core/registry.js';
import { registerBuiltins } from '../../../src/plugins/index.js';
import { register, SPARSE_ADAM_OPTIONS, SparseAdamW } from '../../../src/plugins/sparse-adam/index.js';

const P = 'w';
const close = (got: number, want: number, tol = 3e-7, what = '') =>
  assert.ok(Math.abs(got - want) <= tol, `${what} got ${got}, want ${want} (diff ${got - want})`);

function run(opt: SparseAdamW, p: Float32Array, grads: number[][], lr: number): number[][] {
  return grads.map((g) => {
    opt.step(new Map([[P, p]]), new Map([[P, Float32Array.from(g)]]), lr);
    return Array.from(p);
  });
}

/** Hugging Face AdamW on float64 vectors, written from the formulas (the reference's update). */
function hfAdamW(p: number[], grads: number[][], lr: number, b1: number, b2: number, eps: number, wd: number): number[] {
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  p = [...p];
  grads.forEach((g, s) => {
    const t = s + 1;
    for (let i = 0; i < p.length; i++) {
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
      p[i] = p[i]! - ((lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t)) * (m[i]! / (Math.sqrt(v[i]!) + eps));
      if (wd > 0) p[i] = p[i]! - lr * wd * p[i]!;
    }
  });
  return p;
}

describe('sparse-adam (Hugging Face AdamW form)', () => {
  it('matches hand-computed values over three steps (defaults β=(0.9, 0.95), eps=1e-6, wd=0)', () => {
    const opt = new SparseAdamW();
    const p = Float32Array.from([1.0, -0.5]);
    const hist = run(opt, p, [[0.1, -2e-6], [0.3, 1e-6], [-0.2, 3e-6]], 0.01);

    // entry 0, step 1, unrolled: m = 0.1·0.1, v = 0.05·0.01, step size 0.01·√0.05/0.1
    const m1 = 0.1 * 0.1;
    const v1 = 0.05 * 0.1 * 0.1;
    const p1 = 1.0 - ((0.01 * Math.sqrt(0.05)) / 0.1) * (m1 / (Math.sqrt(v1) + 1e-6));
    close(hist[0]![0]!, p1, 3e-7, 'step 1');
    close(p1, 0.9900004471935964, 1e-15); // = 1 − 0.01·0.1/(0.1 + 1e-6/√0.05)
    // step 2: m = 0.9·m1 + 0.1·0.3, v = 0.95·v1 + 0.05·0.09, bias corrections at t = 2
    const m2 = 0.9 * m1 + 0.1 * 0.3;
    const v2 = 0.95 * v1 + 0.05 * 0.09;
    const p2 = p1 - ((0.01 * Math.sqrt(1 - 0.95 ** 2)) / (1 - 0.9 ** 2)) * (m2 / (Math.sqrt(v2) + 1e-6));
    close(hist[1]![0]!, p2, 3e-7, 'step 2');
    close(hist[2]![0]!, 0.9783479084674639, 3e-7, 'step 3');
    // entry 1: gradients of order eps, where eps sits outside the bias correction (unlike PyTorch)
    close(hist[0]![1]!, -0.4969098300562505, 3e-7, 'tiny g, step 1');
    close(hist[1]![1]!, -0.496027396180837, 3e-7, 'tiny g, step 2');
    close(hist[2]![1]!, -0.49776992365860734, 3e-7, 'tiny g, step 3');
    assert.equal(opt.stepOf(P), 3);
  });

  it('applies weight decay after the update, from the updated value', () => {
    const opt = new SparseAdamW({ weightDecay: 0.1 });
    const p = Float32Array.from([0.25]);
    const hist = run(opt, p, [[0.05], [-0.4], [0.0]], 0.01);
    // step 1 by hand: Adam moves 0.25 by −0.01·0.05/(0.05 + 1e-6/√0.05), then × (1 − 0.01·0.1)
    const adam1 = 0.25 - (0.01 * 0.05) / (0.05 + 1e-6 / Math.sqrt(0.05));
    close(hist[0]![0]!, adam1 - 0.001 * adam1, 3e-7);
    close(hist[1]![0]!, 0.24598947708878172, 3e-7);
    close(hist[2]![0]!, 0.25080818564006063, 3e-7);
  });

  it('equals a dense HF AdamW step restricted to the mask', () => {
    const n = 40;
    const dense = Array.from({ length: n }, (_, i) => Math.sin(i + 1));
    const mask = Int32Array.from([2, 3, 11, 17, 18, 30, 39]);
    const grads = [0, 1, 2].map((s) => Array.from({ length: n }, (_, i) => Math.cos(3 * i + s) * 0.1));
    const want = hfAdamW(dense, grads, 1e-3, 0.9, 0.95, 1e-6, 0.05);

    const opt = new SparseAdamW({ weightDecay: 0.05 });
    const w = Float32Array.from(dense);
    const sparse = Float32Array.from(mask, (i) => w[i]!);
    for (const g of grads) opt.step(new Map([[P, sparse]]), new Map([[P, Float32Array.from(mask, (i) => g[i]!)]]), 1e-3);
    mask.forEach((idx, j) => (w[idx] = sparse[j]!));
    const inMask = new Set(mask);
    for (let i = 0; i < n; i++) {
      if (inMask.has(i)) close(w[i]!, want[i]!, 3e-7, `masked ${i}`);
      else assert.equal(w[i], Math.fround(dense[i]!), `unmasked ${i} changed`);
    }
    assert.equal(opt.stateBytes(), mask.length * 2 * 4); // moments for the k masked entries only
  });

  it('decays only masked entries', () => {
    const w = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const mask = Int32Array.from([1, 4]);
    const opt = new SparseAdamW({ weightDecay: 0.5 });
    const sparse = Float32Array.from(mask, (i) => w[i]!);
    opt.step(new Map([[P, sparse]]), new Map([[P, new Float32Array(2)]]), 0.1); // zero gradient: decay alone
    mask.forEach((idx, j) => (w[idx] = sparse[j]!));
    assert.deepEqual(Array.from(w), [1, 2 * 0.95, 3, 4, 5 * 0.95, 6].map(Math.fround));
  });

  it('remap carries kept moments bitwise, zeroes new ones, drops leavers, and keeps the step counter', () => {
    const opt = new SparseAdamW();
    const oldIdx = Int32Array.from([1, 4, 7, 9]);
    const p = Float32Array.from([0.1, 0.2, 0.3, 0.4]);
    run(opt, p, [[0.1, 0.2, -0.3, 0.4], [0.5, -0.1, 0.2, 0.3], [0.1, 0.1, 0.1, -0.1]], 1e-3);
    const before = opt.state().params[P]!.buffers;
    const newIdx = Int32Array.from([0, 4, 8, 9, 12]);
    opt.remap(P, oldIdx, newIdx);
    const after = opt.state().params[P]!;
    assert.equal(after.step, 3);
    for (const key of ['m', 'v'] as const) {
      const a = after.buffers[key]!;
      assert.equal(a.length, 5);
      assert.deepEqual(Array.from(a), [0, before[key]![1]!, 0, before[key]![3]!, 0], key);
    }
    assert.equal(opt.stateBytes(), 5 * 8);

    // the next step runs at t = 4: a new entry (zero moments) moves by the t = 4 bias-corrected step
    const q = Float32Array.from([0, 0, 0, 0, 0]);
    opt.step(new Map([[P, q]]), new Map([[P, Float32Array.from([0.2, 0, 0, 0, 0])]]), 0.01);
    const t = 4;
    const m = 0.1 * 0.2;
    const v = 0.05 * 0.04;
    close(q[0]!, -((0.01 * Math.sqrt(1 - 0.95 ** t)) / (1 - 0.9 ** t)) * (m / (Math.sqrt(v) + 1e-6)), 1e-9);
    assert.equal(opt.stepOf(P), 4);
  });

  it('state()/load() round-trips: a restored optimizer continues bitwise identically', () => {
    const a = new SparseAdamW({ beta1: 0.8, beta2: 0.99, eps: 1e-7, weightDecay: 0.01 });
    const params = () => new Map([['x', Float32Array.from([0.3, -0.7, 1.1])], ['y', Float32Array.from([2, -2])]]);
    const pa = params();
    const g = (s: number) => new Map([['x', Float32Array.from([s * 0.1, -0.2, 0.05])], ['y', Float32Array.from([0.3, s * -0.01])]]);
    a.step(pa, g(1), 1e-2);
    a.step(pa, g(2), 1e-2);
    const saved = a.state();
    const b = new SparseAdamW(); // other hyperparameters: load must restore the saved ones
    b.load(saved);
    const pb = new Map([...pa].map(([k, v]) => [k, v.slice()]));
    for (let s = 3; s <= 5; s++) {
      a.step(pa, g(s), 1e-2);
      b.step(pb, g(s), 1e-2);
    }
    for (const k of pa.keys()) assert.deepEqual(pb.get(k), pa.get(k));
    assert.deepEqual(b.state(), a.state());
    assert.deepEqual(b.hyperparameters, { beta1: 0.8, beta2: 0.99, eps: 1e-7, weightDecay: 0.01 });
    // the snapshot is a copy: stepping after state() did not change it
    assert.equal(saved.params.x!.step, 2);
  });

  it('load rejects malformed state, naming the parameter or field', () => {
    const opt = new SparseAdamW();
    const ok = { name: 'sparse-adam', hyper: { betas: [0.9, 0.95], eps: 1e-6, weightDecay: 0 } };
    const bad = [
      [{ ...ok, name: 'adamw', params: {} }, /saved by 'adamw'/],
      [{ ...ok, params: { 'layer.q': { step: 1, buffers: { m: new Float32Array(3), v: new Float32Array(2) } } } }, /layer\.q.*m has 3 entries, v has 2/],
      [{ ...ok, params: { 'layer.k': { step: -1, buffers: { m: new Float32Array(1), v: new Float32Array(1) } } } }, /layer\.k: step/],
      [{ ...ok, params: { 'layer.v': { step: 1, buffers: { m: new Float32Array(1) } } } }, /layer\.v: buffers m and v/],
      [{ ...ok, hyper: { ...ok.hyper, betas: [0.9, 1] }, params: {} }, /hyper\.betas\[1\]/],
      [{ ...ok, hyper: { ...ok.hyper, eps: 0 }, params: {} }, /hyper\.eps/],
    ] as const;
    for (const [state, re] of bad) {
      assert.throws(() => opt.load(state as never), (e: unknown) => e instanceof InvalidArgumentError && re.test(e.message));
    }
  });

  it('rejects a missing gradient, a size mismatch, and a mask change without remap, changing nothing', () => {
    const opt = new SparseAdamW();
    const p = Float32Array.from([1, 2]);
    assert.throws(() => opt.step(new Map([[P, p]]), new Map(), 0.1), /no gradient for parameter w/);
    assert.throws(() => opt.step(new Map([[P, p]]), new Map([[P, new Float32Array(3)]]), 0.1), /gradient of w has 3/);
    assert.throws(() => opt.step(new Map([[P, p]]), new Map([[P, new Float32Array(2)]]), Number.NaN), /learning rate/);
    opt.step(new Map([[P, p]]), new Map([[P, Float32Array.from([1, 1])]]), 0.1);
    const q = Float32Array.from([1, 2, 3]);
    assert.throws(() => opt.step(new Map([[P, q]]), new Map([[P, new Float32Array(3)]]), 0.1), /call remap/);
    assert.deepEqual(Array.from(q), [1, 2, 3]);
    assert.throws(() => opt.remap(P, Int32Array.from([0, 1, 2]), Int32Array.from([0])), /3 old indices but its state has 2/);
    assert.throws(() => opt.remap(P, Int32Array.from([1, 0]), Int32Array.from([0])), /oldIndices must be sorted/);
    assert.equal(opt.stepOf(P), 1);
  });

  it('is registered as sparse-adam and reads betas, eps and weightDecay from options', () => {
    const reg = new Registry();
    register(reg);
    assert.deepEqual(reg.optimizerNames(), ['sparse-adam']);
    // the fragment documents the reference's defaults (DESIGN: betas (0.9, 0.95), eps 1e-6, decay 0)
    assert.deepEqual(
      Object.fromEntries(Object.entries(SPARSE_ADAM_OPTIONS).map(([k, v]) => [k, v.default])),
      { betas: [0.9, 0.95], eps: 1e-6, weightDecay: 0 },
    );
    const opt = reg.optimizer('sparse-adam', { betas: [0.85, 0.999], eps: 1e-8, weightDecay: 0.1, lr: 5 });
    assert.ok(opt instanceof SparseAdamW);
    assert.equal(opt.name, 'sparse-adam');
    assert.deepEqual(opt.hyperparameters, { beta1: 0.85, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 });
  });

  it('takes its hyperparameters from the resolved method options, refusing bad ones at their path', () => {
    const reg = registerBuiltins(new Registry());
    for (const method of ['lift', 'magnitude', 'random']) {
      assert.deepEqual((reg.resolve(method, {}).optimizer as SparseAdamW).hyperparameters, { beta1: 0.9, beta2: 0.95, eps: 1e-6, weightDecay: 0 }, method);
    }
    assert.deepEqual((reg.resolve('lift', { betas: [0.85, 0.999], eps: 1e-8, weightDecay: 0.1 }).optimizer as SparseAdamW).hyperparameters, {
      beta1: 0.85,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0.1,
    });
    for (const [options, path] of [
      [{ betas: [0.9] }, '/method/options/betas'],
      [{ betas: [0.9, 1.5] }, '/method/options/betas/1'],
      [{ eps: -1 }, '/method/options/eps'],
      [{ weightDecay: 'lots' }, '/method/options/weightDecay'],
    ] as const) {
      assert.throws(() => reg.resolve('lift', options), (e: unknown) => e instanceof ConfigError && e.violations.map((v) => v.path).join() === path, JSON.stringify(options));
    }
  });
});
