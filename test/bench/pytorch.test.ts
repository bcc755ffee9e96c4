import { strict as assert } from 'node:assert';
import { BENCH_MODEL, targetParams } from '../../bench/models.js';
import { type TorchTraining, findTorchPython, runTorch } from '../../bench/pytorch.js';
import { linearShape, TARGET_MODULES } from '../../src/core/model/config.js';

describe('bench: PyTorch side by side', () => {
  it('finds no torch where no candidate interpreter exists (the bench then skips that part)', () => {
    assert.equal(findTorchPython(['/nonexistent/python3', undefined]), null);
  });

  it('trains the same trainable counts as lift-sft for full FT, LoRA r16 and LIFT r16 (where torch is installed)', async function () {
    const py = findTorchPython();
    if (!py) return this.skip();
    this.timeout(300_000);
    const c = BENCH_MODEL.config;
    let budget = 0;
    for (const m of TARGET_MODULES) {
      const [r, k] = linearShape(c, m);
      budget += Math.min((r + k) * 16, r * k);
    }
    budget *= c.numHiddenLayers;
    const want = { full: targetParams(c), lora: budget, lift: budget };
    for (const method of ['full', 'lora', 'lift'] as const) {
      const res: TorchTraining = await runTorch<TorchTraining>(py.python, { method, steps: 2, warmup: 1, batch: 1, seq: 32, threads: 1 });
      assert.equal(res.trainableParams, want[method], method);
      assert.equal(res.losses.length, 2);
      assert.ok(res.losses.every(Number.isFinite), `${method} losses ${res.losses}`);
      // a random 8192-token model starts near ln(8192)
      assert.ok(Math.abs(res.losses[0]! - Math.log(c.vocabSize)) < 0.5, `${method} first loss ${res.losses[0]}`);
    }
  });
});
