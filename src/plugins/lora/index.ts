/**
 * LoRA as PEFT defines it: adapters A, B on the target modules, trained with PyTorch-form AdamW.
 * Registers the parametrization 'lora' and the method 'lora' (the authors' recipe: r 128, α 2r, lr 2e-4).
 */
import type { Method, MethodOptions, OptionsFragment, Parametrization } from '../../core/contracts.js';
import type { Registry } from '../../core/registry.js';
import { initLora } from './math.js';
import { type LoraSpec, LoraTarget } from './target.js';

export { initLora, mergeLora, budgetMatchedRank, type LoraFactors } from './math.js';
export { LoraTarget, loraNames, loraDropoutName, loraSource, type LoraSpec } from './target.js';

export const LORA_OPTIONS: OptionsFragment = Object.freeze({
  rank: { type: 'integer', minimum: 1, default: 128, description: 'Adapter rank r (PEFT: r).' },
  alpha: { type: 'number', exclusiveMinimum: 0, description: 'Scaling numerator: the update is (alpha/rank)·B·A (PEFT: lora_alpha). Default 2·rank, the recipes\' ratio.' },
  dropout: {
    type: 'number',
    minimum: 0,
    exclusiveMaximum: 1,
    default: 0,
    description: "Dropout on the adapter's input in training (PEFT: lora_dropout); drawn from the run's seeded RNG.",
  },
});

export const loraParametrization: Parametrization = {
  name: 'lora',
  options: LORA_OPTIONS,
  // W stays frozen (only A and B train): the target reads the caller's W, no master copy.
  readsWeightOnly: true,
  complete(options: MethodOptions): MethodOptions {
    return options.alpha === undefined ? { ...options, alpha: 2 * (options.rank as number) } : options;
  },
  caveats(targets, options: MethodOptions) {
    const rank = options.rank as number;
    // B·A of rank r ≥ min(m, n) can be any matrix: the adapter is no longer low-rank
    const full = targets.filter((t) => rank >= Math.min(t.rows, t.cols));
    if (!full.length) return [];
    const shapes = [...new Set(full.map((t) => `${t.rows}×${t.cols}`))].join(', ');
    const smallest = Math.min(...full.map((t) => Math.min(t.rows, t.cols)));
    return [`rank ${rank} reaches the smaller side of ${full.length} of ${targets.length} target matrices (${shapes}): their adapters are full-rank, not low-rank; a rank below ${smallest} keeps them low-rank`];
  },
  async create(target, options: MethodOptions, ctx) {
    const spec = options as unknown as LoraSpec;
    const { a, b } = initLora(target.rows, target.cols, spec.rank, ctx.initRng);
    return new LoraTarget(target.name, target.rows, target.cols, target.weight, { rank: spec.rank, alpha: spec.alpha, dropout: spec.dropout }, a.data, b.data);
  },
};

export const LORA_METHOD: Method = Object.freeze({
  name: 'lora',
  description: 'LoRA: W + (α/r)·B·A on the target modules (PEFT semantics), AdamW on A and B.',
  parametrization: 'lora',
  optimizer: 'adamw',
  defaults: Object.freeze({ lr: 2e-4, weightDecay: 0 }),
});

export function register(registry: Registry): void {
  registry.registerParametrization(loraParametrization);
  registry.registerMethod(LORA_METHOD);
}
