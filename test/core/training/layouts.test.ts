/**
 * The graph layout comes from the backend's declared capability, not a provider name: the same
 * runs on CPU with inputs read in place (master W fed, k gradients gathered, refresh keeps the
 * session) and with the device layout forced (W an initializer, values scattered, refresh
 * rebuilds) compute the same function, so their losses agree step by step.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { Trainer, createLift, defaultRegistry } from '../../../src/index.js';
import { TINY_CONFIG } from '../../helpers/tiny-model.js';
import { RecordingStore, fixtureData, smallRun, tinyWeights } from '../../helpers/trainer-fixture.js';

describe('trainer: both graph layouts, chosen by backend capability', function () {
  this.timeout(120_000);
  let tmp: string;
  before(() => (tmp = mkdtempSync(join(tmpdir(), 'lift-layouts-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const runs: [string, Record<string, unknown>][] = [
    ['lift', { rank: 2, filterRank: 4, interval: 3 }],
    ['lora', { rank: 2 }],
    ['full', {}],
  ];
  for (const [method, options] of runs) {
    it(`${method}: in place and device layouts give the same losses and weights`, async () => {
      const data = await fixtureData();
      const train = async (inputsInPlace: boolean) => {
        const registry = defaultRegistry();
        const backend = new OnnxRuntimeBackend({ executionProvider: 'cpu', inputsInPlace });
        registry.registerBackend('layout-under-test', backend);
        assert.equal(backend.capabilities.inputsInPlace, inputsInPlace);
        const trainer = (await createLift({ registry, backends: ['layout-under-test'], store: new RecordingStore() })).get(Trainer);
        const run = smallRun({ method, options, lr: 1e-2, steps: 7, dir: join(tmp, `${method}-${inputsInPlace}`) });
        return trainer.train({ run, model: { config: TINY_CONFIG, weights: tinyWeights() }, train: data.examples, padTokenId: data.padTokenId });
      };
      const inPlace = await train(true);
      const device = await train(false);
      assert.equal(inPlace.losses.length, 7);
      for (let i = 0; i < 7; i++) {
        const [a, b] = [inPlace.losses[i]!.loss, device.losses[i]!.loss];
        assert.ok(Math.abs(a - b) <= 1e-5 * Math.abs(a), `step ${i + 1}: ${a} vs ${b}`);
      }
      const wa = inPlace.weights();
      const wb = device.weights();
      let worst = 0;
      for (const [name, t] of wa) {
        const u = wb.get(name)!.data;
        t.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - u[i]!))));
      }
      assert.ok(worst < 1e-4, `largest weight difference ${worst}`);
    });
  }
});
