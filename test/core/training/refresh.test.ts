/**
 * When mask refreshes fall (refreshDue): after steps I, 2I, ... by default, after I−1, 2I−1, ...
 * with refreshAt 'reference' (the authors' SparseAdamW), never after the last step; and the
 * built-in trainer and HostTuner both follow it.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostAdapter, MaskContext, MaskStrategy, StepRecord, TrainingLogger } from '../../../src/core/contracts.js';
import { refreshDue } from '../../../src/core/training/refresh.js';
import { tensor, type Tensor } from '../../../src/core/tensor.js';
import { HostTuner, Trainer, createLift, defaultRegistry } from '../../../src/index.js';
import { LIFT_OPTIONS, LiftStrategy } from '../../../src/plugins/lift/index.js';
import { TINY_CONFIG } from '../../helpers/tiny-model.js';
import { type FixtureData, fixtureData, smallRun, tinyWeights } from '../../helpers/trainer-fixture.js';

const strategy = (refreshInterval: number, refreshAt?: 'multiple' | 'reference'): MaskStrategy => ({
  name: 's',
  refreshInterval,
  ...(refreshAt ? { refreshAt } : {}),
  select: async () => new Int32Array(0),
});

/** The steps 1..total after which refreshDue says a refresh falls. */
const dueSteps = (s: MaskStrategy | undefined, total: number, known = true) =>
  Array.from({ length: total }, (_, i) => i + 1).filter((t) => refreshDue(s, t, known ? total : undefined));

describe('refreshDue', () => {
  it("'multiple' (the default) refreshes after steps I, 2I, ...; 'reference' after I−1, 2I−1, ...", () => {
    assert.deepEqual(dueSteps(strategy(3), 10), [3, 6, 9]);
    assert.deepEqual(dueSteps(strategy(3, 'multiple'), 10), [3, 6, 9]);
    // the reference: total_step += 1; if (total_step + 1) % update_proj_gap == 0: update_masks()
    const reference = Array.from({ length: 10 }, (_, i) => i + 1).filter((t) => (t + 1) % 3 === 0);
    assert.deepEqual(dueSteps(strategy(3, 'reference'), 11), reference);
    assert.deepEqual(reference, [2, 5, 8]);
    assert.deepEqual(dueSteps(strategy(1, 'reference'), 4), [1, 2, 3]);
  });

  it('never refreshes without a positive interval or a strategy', () => {
    for (const s of [undefined, strategy(0), strategy(0, 'reference'), { name: 'x', select: async () => new Int32Array(0) }]) {
      assert.deepEqual(dueSteps(s, 12), []);
    }
  });

  it('skips a refresh due after the last step, and knows no last step when the total is unknown', () => {
    assert.deepEqual(dueSteps(strategy(3), 9), [3, 6]);
    assert.deepEqual(dueSteps(strategy(3, 'reference'), 8), [2, 5]);
    assert.deepEqual(dueSteps(strategy(3), 9, false), [3, 6, 9]);
    assert.deepEqual(dueSteps(strategy(3, 'reference'), 8, false), [2, 5, 8]);
  });
});

/** Records the step of every mask selection after init (a refresh) of the lift strategy it wraps. */
function recordingRegistry() {
  const selected = new Set<number>();
  const registry = defaultRegistry();
  registry.registerStrategy(
    'lift',
    (options) => {
      const inner = new LiftStrategy(options as never);
      return {
        name: inner.name,
        refreshInterval: inner.refreshInterval,
        refreshAt: inner.refreshAt,
        select: (w: Tensor<'float32'>, budget: number, ctx: MaskContext) => {
          if (ctx.step > 0) selected.add(ctx.step);
          return inner.select(w, budget, ctx);
        },
      };
    },
    LIFT_OPTIONS,
  );
  return { registry, selected };
}

class RefreshLog implements TrainingLogger {
  readonly refreshed: number[] = [];
  readonly steps: number[] = [];
  step(r: StepRecord): void {
    this.steps.push(r.step);
    if (r.refreshed) this.refreshed.push(r.step);
  }
}

describe('refresh timing in the built-in trainer (what the step log reports)', function () {
  this.timeout(120_000);
  let data: FixtureData;
  let tmp: string;
  before(async () => {
    data = await fixtureData();
    tmp = mkdtempSync(join(tmpdir(), 'lift-refresh-test-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  async function refreshes(method: string, options: Record<string, unknown>, steps: number) {
    const { registry, selected } = recordingRegistry();
    const log = new RefreshLog();
    const trainer = (await createLift({ registry })).get(Trainer).withLogger(log);
    const run = smallRun({ method, options: { rank: 1, filterRank: 2, ...options }, lr: 1e-2, steps, batchSize: 2, dir: join(tmp, `${method}-${JSON.stringify(options)}-${steps}`) });
    await trainer.train({ run, model: { config: TINY_CONFIG, weights: tinyWeights() }, train: data.examples, padTokenId: data.padTokenId });
    assert.deepEqual(log.steps, Array.from({ length: steps }, (_, i) => i + 1), 'every step is logged');
    // what the log says is what happened: the strategy selected masks after exactly those steps
    assert.deepEqual([...selected].sort((a, b) => a - b), log.refreshed, 'logged refreshes are the mask selections');
    return log.refreshed;
  }

  it("lift with refreshAt 'reference' refreshes after steps I−1, 2I−1; the default after I, 2I", async () => {
    assert.deepEqual(await refreshes('lift', { interval: 3, refreshAt: 'reference' }, 7), [2, 5]);
    assert.deepEqual(await refreshes('lift', { interval: 3 }, 7), [3, 6]);
  });

  it('lift-published carries the reference timing in its recipe; a refresh due after the last step is skipped', async () => {
    assert.deepEqual(await refreshes('lift-published', { interval: 3 }, 8), [2, 5]);
    assert.deepEqual(await refreshes('lift', { interval: 3 }, 6), [3]);
  });
});

describe('refresh timing in HostTuner', () => {
  /** A host with one 6×8 weight whose gradient is always W (enough to drive steps). */
  function host(): HostAdapter {
    const w = tensor('float32', [6, 8], Float32Array.from({ length: 48 }, (_, i) => Math.sin(i + 1)));
    return {
      parameterNames: () => ['w'],
      read: () => w,
      write: (_n, v) => w.data.set(v.data),
      gradient: () => Float32Array.from(w.data),
    };
  }

  it("follows refreshAt, and skips the last step's refresh when told the total", async () => {
    const flags = async (options: Record<string, unknown>, totalSteps?: number) => {
      const h = host();
      const tuner = new HostTuner(defaultRegistry(), { method: 'magnitude', options: { rank: 1, interval: 3, ...options }, ...(totalSteps ? { totalSteps } : {}) });
      await tuner.init(h);
      const out: number[] = [];
      for (let s = 1; s <= 6; s++) if ((await tuner.step(h, 0.01)).refreshed) out.push(s);
      return out;
    };
    assert.deepEqual(await flags({}), [3, 6]);
    assert.deepEqual(await flags({ refreshAt: 'reference' }), [2, 5]);
    assert.deepEqual(await flags({}, 6), [3]);
  });
});
