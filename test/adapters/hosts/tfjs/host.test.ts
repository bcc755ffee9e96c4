/**
 * The tfjs host against mathematics: tfjs' [in, out] kernels seen as [out, in], the dense
 * gradient equal to the hand-derived one, LIFT's sparse AdamW step equal to lift-sft's own on the
 * same gradients, entries outside the mask bitwise unchanged, refreshes remapping the moments as
 * the built-in trainer does, no tfjs tensor leaked, and every bad input one typed line.
 */
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import type { MaskStrategy } from '../../../../src/core/contracts.js';
import { HostError, LiftError, RegistryError } from '../../../../src/core/errors.js';
import { HostTuner } from '../../../../src/core/training/host-tuner.js';
import { TfjsHost } from '../../../../src/adapters/hosts/tfjs/index.js';
import { defaultRegistry } from '../../../../src/index.js';
import { MagnitudeStrategy } from '../../../../src/plugins/magnitude/strategy.js';
import { SparseAdamW } from '../../../../src/plugins/sparse-adam/index.js';
import { atOutIn, batch, crossEntropy, mlp, seeded } from './fixtures.js';

const KERNELS = ['hidden/kernel', 'out/kernel'];

/** Every kernel's tfjs values (as stored, [in, out]), copied. */
function snapshot(model: tf.LayersModel): Map<string, { data: Float32Array; inDim: number; outDim: number }> {
  const host = TfjsHost.fromModel(model);
  return new Map(
    host.parameterNames().map((n) => {
      const [inDim, outDim] = host.variable(n).shape as [number, number];
      return [n, { data: Float32Array.from(host.variable(n).dataSync()), inDim, outDim }];
    }),
  );
}

/** One line, a stable code, and the variable named: what every bad input must give. */
function typed(code: string, variable: string, pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof LiftError, `not a LiftError: ${e}`);
    assert.equal(e.code, code);
    assert.ok(!e.message.includes('\n'), `more than one line: ${e.message}`);
    assert.equal((e as HostError).variable ?? variable, variable);
    assert.ok(e.message.includes(variable), `does not name ${variable}: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  };
}

describe('tfjs host: TfjsHost', () => {
  it('maps a Dense kernel [in, out] to [out, in] explicitly: read, write and the gradient are the mathematics', () => {
    const [n, inDim, outDim] = [8, 5, 3];
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [inDim], units: outDim, name: 'lin', kernelInitializer: seeded(3), biasInitializer: tf.initializers.randomNormal({ seed: 4 }) })] });
    const x = tf.randomNormal([n, inDim], 0, 1, 'float32', 5);
    const t = tf.randomNormal([n, outDim], 0, 1, 'float32', 6);
    const host = TfjsHost.fromModel(model);
    assert.deepEqual(host.parameterNames(), ['lin/kernel'], 'the kernel only: the bias is a vector');

    const kernel = Float32Array.from(host.variable('lin/kernel').dataSync());
    const w = host.read('lin/kernel');
    assert.deepEqual(w.shape, [outDim, inDim]);
    for (let o = 0; o < outDim; o++) for (let i = 0; i < inDim; i++) assert.equal(w.data[o * inDim + i], kernel[i * outDim + o]);

    // L = mean over N·out of (x·K + b − t)²  ⇒  dL/dW[o][i] = (2/(N·out)) Σ_s r[s][o]·x[s][i], W = Kᵀ
    const loss = host.backward(() => tf.losses.meanSquaredError(t, model.apply(x) as tf.Tensor) as tf.Scalar);
    const [xs, ts, b] = [x.dataSync(), t.dataSync(), model.getLayer('lin').getWeights()[1]!.dataSync()];
    const want = new Float64Array(outDim * inDim);
    let wantLoss = 0;
    for (let s = 0; s < n; s++) {
      for (let o = 0; o < outDim; o++) {
        let y = b[o]!;
        for (let i = 0; i < inDim; i++) y += xs[s * inDim + i]! * kernel[i * outDim + o]!;
        const r = y - ts[s * outDim + o]!;
        wantLoss += (r * r) / (n * outDim);
        for (let i = 0; i < inDim; i++) want[o * inDim + i]! += ((2 / (n * outDim)) * r * xs[s * inDim + i]!);
      }
    }
    assert.ok(Math.abs(loss - wantLoss) < 1e-5, `loss ${loss} vs ${wantLoss}`);
    const g = host.gradient('lin/kernel');
    assert.equal(g.length, outDim * inDim);
    g.forEach((v, k) => assert.ok(Math.abs(v - want[k]!) < 1e-5, `dW[${k}] ${v} vs ${want[k]}`));

    const next = Float32Array.from({ length: outDim * inDim }, (_, k) => k + 0.5);
    host.write('lin/kernel', { dtype: 'float32', shape: [outDim, inDim], data: next });
    const after = host.variable('lin/kernel').dataSync();
    for (let o = 0; o < outDim; o++) for (let i = 0; i < inDim; i++) assert.equal(after[i * outDim + o], next[o * inDim + i]);
    // the host hands out copies: changing what read returned leaves the model alone
    host.read('lin/kernel').data.fill(0);
    assert.equal(host.variable('lin/kernel').dataSync()[1], next[inDim]);
  });

  it("takes plain variables stored [out, in] as they are ('out-in'), choosing the layout per variable", () => {
    // y = x·Wᵀ with W [out, in] (layout out-in) and y2 = x·K with K [in, out] (in-out); L = Σ y + Σ y2
    // ⇒ dL/dW[o][i] = Σ_s x[s][i] for every o, the same for K read as [out, in]
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 8);
    const w = tf.variable(tf.randomNormal([3, 4], 0, 1, 'float32', 9), true, 'tfjs-host-test.outIn');
    const k = tf.variable(tf.randomNormal([4, 2], 0, 1, 'float32', 10), true, 'tfjs-host-test.inOut');
    const host = TfjsHost.fromVariables({ w, k }, { layout: (name) => (name === 'w' ? 'out-in' : 'in-out') });
    assert.deepEqual(host.read('w').shape, [3, 4]);
    assert.deepEqual(host.read('w').data, w.dataSync(), 'out-in: read as stored');
    assert.deepEqual(host.read('k').shape, [2, 4]);
    host.backward(() => tf.add(tf.sum(tf.matMul(x, w, false, true)), tf.sum(tf.matMul(x, k))) as tf.Scalar);
    const xs = x.dataSync();
    const colSum = Array.from({ length: 4 }, (_, i) => [0, 1, 2, 3, 4].reduce((a, s) => a + xs[s * 4 + i]!, 0));
    for (const [name, rows] of [['w', 3], ['k', 2]] as const) {
      const g = host.gradient(name);
      for (let o = 0; o < rows; o++) for (let i = 0; i < 4; i++) assert.ok(Math.abs(g[o * 4 + i]! - colSum[i]!) < 1e-5, `${name} dW[${o}][${i}]`);
    }
    const next = Float32Array.from({ length: 12 }, (_, j) => j);
    host.write('w', { dtype: 'float32', shape: [3, 4], data: next });
    assert.deepEqual(w.dataSync(), next, 'out-in: written as given');
    tf.dispose([x, w, k]);
  });

  it("LIFT's step changes only masked entries (others bitwise) by exactly lift-sft's sparse AdamW on tfjs' gradients", async () => {
    const model = mlp(6, 12, 3);
    const { x, y } = batch(32, 6, 3);
    const before = snapshot(model);
    const host = TfjsHost.fromModel(model);
    const tuner = new HostTuner(defaultRegistry(), { method: 'lift', options: { rank: 1, filterRank: 2, interval: 0 } });
    await tuner.init(host);
    const masks = tuner.masks();
    assert.deepEqual([...masks.keys()], KERNELS);
    assert.deepEqual(KERNELS.map((k) => masks.get(k)!.length), [12 + 6, 3 + 12], 'k = (m + n)·rank');

    // lift-sft's own sparse AdamW (same defaults), fed the same gradients gathered at the masks,
    // and the update written out in float64 from its formula (β 0.9/0.95, eps 1e-6, step-size form)
    const reference = new SparseAdamW();
    const values = new Map(KERNELS.map((k) => [`${k}.values`, Float32Array.from(masks.get(k)!, (f) => atOutIn(before.get(k)!.data, before.get(k)!.inDim, before.get(k)!.outDim, f))]));
    const hand = new Map([...values].map(([k, v]) => [k, { p: Float64Array.from(v), m: new Float64Array(v.length), v: new Float64Array(v.length) }]));
    const lr = 0.01;
    for (let t = 1; t <= 4; t++) {
      host.backward(crossEntropy(model, x, y));
      const grads = new Map(KERNELS.map((k) => [`${k}.values`, Float32Array.from(masks.get(k)!, (f) => host.gradient(k)[f]!)]));
      assert.deepEqual((await tuner.step(host, lr)).refreshed, false);
      reference.step(values, grads, lr);
      for (const [key, s] of hand) {
        const g = grads.get(key)!;
        for (let i = 0; i < s.p.length; i++) {
          s.m[i] = 0.9 * s.m[i]! + 0.1 * g[i]!;
          s.v[i] = 0.95 * s.v[i]! + 0.05 * g[i]! ** 2;
          s.p[i] = s.p[i]! - ((lr * Math.sqrt(1 - 0.95 ** t)) / (1 - 0.9 ** t)) * (s.m[i]! / (Math.sqrt(s.v[i]!) + 1e-6));
        }
      }
      const now = snapshot(model);
      for (const k of KERNELS) {
        const { data, inDim, outDim } = now.get(k)!;
        const mask = new Set(masks.get(k)!);
        const ref = values.get(`${k}.values`)!;
        const byHand = hand.get(`${k}.values`)!.p;
        masks.get(k)!.forEach((f, j) => {
          const got = atOutIn(data, inDim, outDim, f);
          assert.ok(Math.abs(got - ref[j]!) <= 1e-6, `${k}[${f}] step ${t}: ${got} vs sparse AdamW ${ref[j]}`);
          assert.ok(Math.abs(got - byHand[j]!) <= 1e-6, `${k}[${f}] step ${t}: ${got} vs the formula ${byHand[j]}`);
        });
        let moved = 0;
        for (let f = 0; f < inDim * outDim; f++) {
          const old = atOutIn(before.get(k)!.data, inDim, outDim, f);
          if (mask.has(f)) moved += atOutIn(data, inDim, outDim, f) !== old ? 1 : 0;
          else assert.ok(Object.is(atOutIn(data, inDim, outDim, f), old), `${k}[${f}] outside the mask changed at step ${t}`);
        }
        assert.ok(moved > mask.size / 2, `${k}: only ${moved} of ${mask.size} masked entries moved`);
      }
    }
    // the biases are not targets: tfjs computes no gradient for them and they stay as they were
    assert.deepEqual(model.getLayer('hidden').getWeights()[1]!.dataSync(), new Float32Array(12));
    assert.deepEqual(model.getLayer('out').getWeights()[1]!.dataSync(), new Float32Array(3));
  });

  it('trains a tfjs classifier with lift, magnitude, random and full: the loss drops, no tensor leaks, optimizer state is the trained entries only', async () => {
    const { x, y } = batch(64, 8, 3);
    for (const [method, options] of [
      ['lift', { rank: 2, filterRank: 4, interval: 10 }],
      ['magnitude', { rank: 2, interval: 10 }],
      ['random', { rank: 2 }],
      ['full', { weightDecay: 0 }],
    ] as const) {
      const model = mlp(8, 16, 3, 11);
      const host = TfjsHost.fromModel(model);
      const tuner = new HostTuner(defaultRegistry(), { method, options, seed: 1 });
      await tuner.init(host);
      const loss = crossEntropy(model, x, y);
      const first = host.backward(loss);
      const tensors = tf.memory().numTensors;
      let last = first;
      for (let s = 0; s < 40; s++) {
        await tuner.step(host, 0.02);
        last = host.backward(loss);
      }
      assert.equal(tf.memory().numTensors, tensors, `${method}: tfjs tensors leaked`);
      assert.ok(last < 0.6 * first, `${method}: loss ${first} → ${last}`);
      const k = method === 'full' ? 8 * 16 + 16 * 3 : (16 + 8) * 2 + (3 + 16) * 2;
      assert.equal(tuner.trainableParams(), k, method);
      assert.equal(tuner.stateBytes(), 2 * 4 * k, `${method}: two float32 moments per trained entry`);
    }
  });

  it('a refresh remaps the moments as the built-in trainer does: kept entries carry theirs, new ones start at zero, the step counter stays', async () => {
    const model = mlp(6, 10, 3, 21);
    const { x, y } = batch(32, 6, 3, 9);
    const host = TfjsHost.fromModel(model);
    const interval = 3;
    const tuner = new HostTuner(defaultRegistry(), { method: 'magnitude', options: { rank: 1, interval } });
    await tuner.init(host);
    const optimizer = tuner.optimizer as SparseAdamW;
    let oldMasks = new Map([...tuner.masks()].map(([k, v]) => [k, Int32Array.from(v)]));
    let changed = 0;
    for (let t = 1; t <= 2 * interval; t++) {
      host.backward(crossEntropy(model, x, y));
      // the moments after this step, before any refresh, are the reference's on the same gradients
      const reference = new SparseAdamW();
      reference.load(optimizer.state());
      const vectors = new Map([...oldMasks].map(([k, mask]) => [`${k}.values`, Float32Array.from(mask, (f) => host.read(k).data[f]!)]));
      reference.step(vectors, new Map([...oldMasks].map(([k, mask]) => [`${k}.values`, Float32Array.from(mask, (f) => host.gradient(k)[f]!)])), 0.2);
      const stepped = reference.state();
      const { refreshed } = await tuner.step(host, 0.2);
      assert.equal(refreshed, t % interval === 0, `step ${t}`);
      const state = optimizer.state();
      for (const [k, mask] of tuner.masks()) {
        const name = `${k}.values`;
        assert.equal(state.params[name]!.step, t, `${k}: the step counter is kept across refreshes`);
        if (!refreshed) {
          assert.deepEqual(mask, oldMasks.get(k));
          continue;
        }
        // the new mask is the top-k of |W| of the weights as they are now
        const w = host.read(k).data;
        assert.deepEqual(mask, await new MagnitudeStrategy({ interval }).select({ dtype: 'float32', shape: host.read(k).shape, data: w }, mask.length, { name: k, rng: undefined as never, step: t }));
        const old = oldMasks.get(k)!;
        const at = new Map(Array.from(old, (f, j) => [f, j]));
        mask.forEach((f, j) => {
          const was = at.get(f);
          for (const buf of ['m', 'v'] as const) {
            const got = state.params[name]!.buffers[buf]![j]!;
            assert.equal(got, was === undefined ? 0 : stepped.params[name]!.buffers[buf]![was]!, `${k} ${buf}[${f}] after the refresh at step ${t}`);
          }
          changed += was === undefined ? 1 : 0;
        });
        assert.equal(state.params[name]!.buffers.m!.length, mask.length);
      }
      oldMasks = new Map([...tuner.masks()].map(([k, v]) => [k, Int32Array.from(v)]));
    }
    assert.ok(changed > 0, 'no refresh changed a mask: the test proves nothing');
  });

  it("drives a strategy the host app registers itself: its mask is the one that trains", async () => {
    // every other entry of the first rows: a mask no built-in strategy would choose
    const everyOther: MaskStrategy = { name: 'every-other', select: async (_w, budget) => Int32Array.from({ length: budget }, (_, i) => 2 * i) };
    const registry = defaultRegistry()
      .registerStrategy('every-other', () => everyOther, {})
      .registerMethod({ name: 'every-other', parametrization: 'sparse', strategy: 'every-other', optimizer: 'sparse-adam', defaults: { lr: 1e-2 } });
    const model = mlp(6, 12, 3, 31);
    const { x, y } = batch(32, 6, 3, 13);
    const host = TfjsHost.fromModel(model);
    const before = host.parameterNames().map((n) => host.read(n).data);
    const tuner = new HostTuner(registry, { method: 'every-other', options: { rank: 1 } });
    await tuner.init(host);
    for (let s = 0; s < 3; s++) {
      host.backward(crossEntropy(model, x, y));
      await tuner.step(host, 0.01);
    }
    host.parameterNames().forEach((n, p) => {
      const mask = tuner.masks().get(n)!;
      assert.deepEqual(Array.from(mask), Array.from({ length: mask.length }, (_, i) => 2 * i));
      const changed = Array.from(host.read(n).data).flatMap((v, f) => (v !== before[p]![f] ? [f] : []));
      assert.ok(changed.length > 0 && changed.every((f) => f % 2 === 0 && f < 2 * mask.length), `${n}: changed ${changed}`);
    });
  });

  it('asks tfjs for the gradients of the trained variables only', async () => {
    const w = tf.variable(tf.randomNormal([4, 3], 0, 1, 'float32', 1), true, 'tfjs-host-test.w');
    const unused = tf.variable(tf.randomNormal([5, 5], 0, 1, 'float32', 2), true, 'tfjs-host-test.unused');
    const x = tf.randomNormal([6, 4], 0, 1, 'float32', 3);
    const loss = () => tf.sum(tf.square(tf.matMul(x, w))) as tf.Scalar;

    // the tuner trains `w` only: the host asks tfjs for its gradient alone, so the loss not
    // using `unused` is fine (asking for it would fail, as the next host shows)
    const host = TfjsHost.fromVariables({ w, unused });
    const tuner = new HostTuner(defaultRegistry(), { method: 'magnitude', options: { rank: 1 }, parameters: (name) => name === 'w' });
    await tuner.init(host);
    host.backward(loss);
    await tuner.step(host, 0.01);
    assert.throws(() => host.gradient('unused'), typed('E_HOST', 'unused', /not among the variables the tuner trains/));

    const all = TfjsHost.fromVariables({ w, unused });
    assert.throws(() => all.backward(loss), typed('E_HOST', 'unused', /the loss does not depend on it/));
    w.dispose();
    unused.dispose();
  });

  describe('bad input: one typed line naming the variable and what to do', () => {
    it('a model with no matching variables lists the variables it has', () => {
      const model = mlp(4, 5, 2);
      assert.throws(() => TfjsHost.fromModel(model, { include: () => false }), typed('E_HOST', `tfjs model '${model.name}'`, /no variable of .* matches the selection; its variables: hidden\/kernel \[4, 5\], hidden\/bias \[5\].*pass 'include'/));
      const flat = tf.sequential({ layers: [tf.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 3 })] });
      assert.throws(() => TfjsHost.fromModel(flat), (e: unknown) => e instanceof HostError && /embeddings \[10, 4\]/.test(e.message));
    });

    it('a variable of the wrong rank, an unknown name, a frozen or non-float variable', () => {
      const model = mlp(4, 5, 2);
      assert.throws(() => TfjsHost.fromModel(model, { include: ['hidden/kernel', 'hidden/bias'] }), typed('E_HOST', 'hidden/bias', /shape \[5\] \(rank 1\); lift-sft tunes matrices \(rank 2\)/));
      assert.throws(() => TfjsHost.fromModel(model, { include: ['hiden/kernel'] }), typed('E_HOST', 'hiden/kernel', /has no variable .*its variables: hidden\/kernel/));
      model.getLayer('out').trainable = false;
      assert.deepEqual(TfjsHost.fromModel(model).parameterNames(), ['hidden/kernel'], 'the default skips a frozen layer');
      assert.throws(() => TfjsHost.fromModel(model, { include: ['out/kernel'] }), typed('E_HOST', 'out/kernel', /not trainable in tfjs/));
      const ints = tf.variable(tf.zeros([2, 2], 'int32'), true, 'tfjs-host-test.ints');
      assert.throws(() => TfjsHost.fromVariables({ ints }), typed('E_HOST', 'ints', /is int32; lift-sft tunes float32 matrices/));
      ints.dispose();
    });

    it('a method or strategy that is not registered lists the registered ones', () => {
      assert.throws(() => new HostTuner(defaultRegistry(), { method: 'lfit' }), (e: unknown) => e instanceof RegistryError && /^unknown method 'lfit'; registered methods: .*lift.*magnitude.*random/.test(e.message));
      const registry = defaultRegistry().registerMethod({ name: 'mine', parametrization: 'sparse', strategy: 'row-balanced', optimizer: 'sparse-adam' });
      assert.throws(() => new HostTuner(registry, { method: 'mine' }), (e: unknown) => e instanceof RegistryError && e.code === 'E_REGISTRY' && /^unknown strategy 'row-balanced'; registered strategies: lift, magnitude, random$/.test(e.message));
    });

    it('tfjs-side errors: a shape mismatch in the loss, a write of the wrong shape, a gradient asked before backward', async () => {
      const model = mlp(4, 5, 2);
      const host = TfjsHost.fromModel(model);
      assert.throws(() => host.gradient('hidden/kernel'), typed('E_HOST', 'hidden/kernel', /call host.backward\(loss\) before tuner.step/));
      const wrong = tf.zeros([3, 7]);
      assert.throws(() => host.backward(crossEntropy(model, wrong, tf.zeros([3, 2]))), typed('E_HOST', 'hidden/kernel', /tfjs failed computing the loss and the gradients of hidden\/kernel, out\/kernel: /));
      assert.throws(() => host.backward(() => model.apply(tf.zeros([3, 4])) as tf.Scalar), typed('E_HOST', 'hidden/kernel', /must return a scalar/));
      assert.throws(() => host.write('hidden/kernel', { dtype: 'float32', shape: [4, 5], data: new Float32Array(20) }), typed('E_HOST', 'hidden/kernel', /takes float32 \[5, 4\] \(\[out, in\]; stored in-out as \[4, 5\]\)/));
      assert.throws(() => host.read('hidden/bias'), typed('E_HOST', 'hidden/bias', /it tunes: hidden\/kernel, out\/kernel/));
      const none = new HostTuner(defaultRegistry(), { method: 'lift', parameters: () => false });
      await assert.rejects(none.init(host), typed('E_HOST', 'hidden/kernel', /the tuner trains none of the tfjs variables hidden\/kernel, out\/kernel; check HostTuner's 'parameters'/));
      wrong.dispose();
    });
  });
});
