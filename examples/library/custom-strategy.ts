// A mask strategy of your own, registered beside the built-ins and trained like LIFT.
// Row-balanced: every row of W trains the same number of entries (±1), its largest |w| ones.
import { Rng, defaultRegistry, loadModel, train, validateRunConfig, type MaskContext, type MaskStrategy, type Tensor } from 'lift-sft';

class RowBalanced implements MaskStrategy {
  readonly name = 'row-balanced';
  readonly refreshInterval = 0;

  async select(weight: Tensor<'float32'>, budget: number, _context: MaskContext): Promise<Int32Array> {
    const [m, n] = weight.shape as [number, number];
    const picked: number[] = [];
    for (let i = 0; i < m; i++) {
      // the first budget mod m rows take one entry more, so the rows add up to exactly `budget`
      const take = Math.floor(budget / m) + (i < budget % m ? 1 : 0);
      const row = Array.from({ length: n }, (_, j) => j).sort((a, b) => Math.abs(weight.data[i * n + b]!) - Math.abs(weight.data[i * n + a]!) || a - b);
      for (const j of row.slice(0, take)) picked.push(i * n + j);
    }
    return Int32Array.from(picked.sort((a, b) => a - b));
  }
}

const registry = defaultRegistry();
// No options of its own: the sparse parametrization's budget (rank or density) and sparse AdamW's do the rest.
registry.registerStrategy('row-balanced', () => new RowBalanced(), {});
registry.registerMethod({ name: 'row-balanced', parametrization: 'sparse', strategy: 'row-balanced', optimizer: 'sparse-adam', defaults: { lr: 2e-3 } });

const run = validateRunConfig({
  model: 'fixtures/model',
  data: { train: 'fixtures/data/target_train.jsonl', maxLength: 96 },
  method: { name: 'row-balanced', options: { rank: 4 } },
  batchSize: 4,
  steps: 3,
  evaluation: { generate: false },
  output: { dir: process.argv[2] ?? 'runs/row-balanced' },
});
const { result } = await train(run, { registry });
console.log(`${result.method}: ${result.trainableParams} trainable parameters, loss ${result.losses[0]!.loss.toFixed(4)} → ${result.finalLoss.toFixed(4)}`);

// The strategy is correct for every budget the sparse parametrization can ask of it:
const model = await loadModel('fixtures/model');
const gate = model.weights.get('model.layers.0.mlp.gate_proj.weight')!;
const [m, n] = gate.shape as [number, number];
for (const rank of [1, 4, 6, 128]) {
  const budget = Math.min((m + n) * rank, m * n);
  const mask = await new RowBalanced().select(gate, budget, { name: 'gate_proj', rng: new Rng(0), step: 0 });
  if (mask.length !== budget || mask.some((v, i) => i > 0 && v <= mask[i - 1]!)) throw new Error(`rank ${rank}: not ${budget} sorted distinct indices`);
}
console.log('row-balanced masks are exact for ranks 1, 4, 6 and 128');
