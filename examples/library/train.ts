// Fine-tune the bundled model with LIFT from a program, then save it as a Hugging Face directory.
import { saveModelDir, train, validateRunConfig } from 'lift-sft';

const out = process.argv[2] ?? 'runs/library-lift';
const run = validateRunConfig({
  model: 'fixtures/model',
  data: { train: 'fixtures/data/target_train.jsonl', maxLength: 96 },
  method: { name: 'lift', options: { rank: 6, filterRank: 8, interval: 2 } },
  optimizer: { lr: 2e-3 },
  batchSize: 4,
  steps: 4,
  evaluation: { generate: false },
  output: { dir: out },
});
const { result, model } = await train(run);
saveModelDir(`${out}/model`, model.config, result.weights(), { tokenizerFrom: model.tokenizerDir });
console.log(`lift: ${result.trainableParams} of the target weights train; loss ${result.losses[0]!.loss.toFixed(4)} → ${result.finalLoss.toFixed(4)}; saved ${out}/model`);
