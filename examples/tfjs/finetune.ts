/**
 * LIFT inside TensorFlow.js, compared. A tfjs-layers text classifier is pretrained (seeded,
 * tfjs' model.fit) on a source domain, then fine-tuned on a shifted domain where a third of the
 * topic words mean another topic (task.ts), three ways from the same pretrained weights:
 *   - lift: lift-sft's LIFT on the model's four Dense kernels (principal weights, sparse AdamW);
 *   - full: lift-sft's full fine-tuning (dense AdamW) of the same four kernels;
 *   - tfjs adam: what a tfjs program does without lift-sft, tf.train.adam on every trainable variable.
 * In all three tfjs runs the forward and the backward. Prints accuracy on both domains before and
 * after, trainable parameters and optimizer state (as each optimizer holds it).
 *
 *   npx tsx examples/tfjs/finetune.ts [--steps 300] [--epochs 5] [--lift-lr 5e-3] [--full-lr 1e-3] [--adam-lr 1e-3]
 */
import * as tf from '@tensorflow/tfjs';
import { HostTuner, Rng, defaultRegistry } from 'lift-sft';
import { TfjsHost } from 'lift-sft/tfjs';
import { accuracy, classifier, copyOf, crossEntropy, inputs, pretrain } from './model.js';
import { LENGTH, TOPICS, examples, type Examples } from './task.js';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} takes a positive number; got ${process.argv[at + 1]}`);
  return value;
}
const STEPS = flag('steps', 300);
const BATCH = 32;

const source = { train: examples('source', 2000, 1), test: examples('source', 500, 2) };
const target = { train: examples('target', 2000, 3), test: examples('target', 500, 4) };

/** Fine-tuning batches: the target training set in one seeded order, BATCH sentences each. */
function* batches(data: Examples, steps: number): Generator<{ x: tf.Tensor2D; y: tf.Tensor2D }> {
  const order = new Rng(5).shuffle(Array.from({ length: data.n }, (_, i) => i));
  for (let s = 0; s < steps; s++) {
    const rows = Array.from({ length: BATCH }, (_, j) => order[(s * BATCH + j) % data.n]!);
    const tokens = new Int32Array(BATCH * LENGTH);
    rows.forEach((r, j) => tokens.set(data.tokens.subarray(r * LENGTH, (r + 1) * LENGTH), j * LENGTH));
    yield inputs({ tokens, labels: Int32Array.from(rows, (r) => data.labels[r]!), n: BATCH });
  }
}

const lossOf = (model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor) => () => crossEntropy(y, model.apply(x) as tf.Tensor);

interface Row {
  method: string;
  trainable: number;
  stateFloats: number;
  targetAfter: number;
  sourceAfter: number;
  seconds: number;
}

const evaluate = (model: tf.LayersModel) => ({ targetAfter: accuracy(model, target.test), sourceAfter: accuracy(model, source.test) });

/** lift-sft tunes the model's Dense kernels; tfjs runs the forward and the backward. */
async function withLiftSft(model: tf.Sequential, method: string, options: Record<string, unknown>, lr: number): Promise<Row> {
  const started = performance.now();
  const host = TfjsHost.fromModel(model); // embed, hidden1, hidden2, classifier kernels, seen as [out, in]
  const tuner = new HostTuner(defaultRegistry(), { method, options, seed: 1 });
  await tuner.init(host);
  let refreshes = 0;
  for (const { x, y } of batches(target.train, STEPS)) {
    host.backward(lossOf(model, x, y));
    refreshes += (await tuner.step(host, lr)).refreshed ? 1 : 0;
    tf.dispose([x, y]);
  }
  const name = refreshes ? `${method} (${refreshes} mask refreshes)` : method;
  return { method: name, trainable: tuner.trainableParams(), stateFloats: tuner.stateBytes() / 4, ...evaluate(model), seconds: (performance.now() - started) / 1000 };
}

/** The tfjs way: Adam on every trainable variable (kernels and biases). */
async function withTfjsAdam(model: tf.Sequential, lr: number): Promise<Row> {
  const started = performance.now();
  const optimizer = tf.train.adam(lr);
  for (const { x, y } of batches(target.train, STEPS)) {
    optimizer.minimize(lossOf(model, x, y));
    tf.dispose([x, y]);
  }
  // tfjs' own accounting: the optimizer's weights are its moment accumulators and step counter
  const stateFloats = (await optimizer.getWeights()).reduce((n, w) => n + w.tensor.size, 0);
  const trainable = model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
  optimizer.dispose();
  return { method: 'tfjs adam (all variables)', trainable, stateFloats, ...evaluate(model), seconds: (performance.now() - started) / 1000 };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

const t0 = performance.now();
const pretrained = classifier();
const pretrainLoss = await pretrain(pretrained, source.train, flag('epochs', 5));
const before = { target: accuracy(pretrained, target.test), source: accuracy(pretrained, source.test) };
console.log(`pretrained on the source domain in ${((performance.now() - t0) / 1000).toFixed(1)} s (final loss ${pretrainLoss.toFixed(4)}): source accuracy ${pct(before.source)}, shifted-domain accuracy ${pct(before.target)} (chance ${pct(1 / TOPICS.length)})`);
console.log(`fine-tuning on the shifted domain: ${STEPS} steps of ${BATCH} sentences`);

const rows = [
  await withLiftSft(copyOf(pretrained), 'lift', { rank: 4, filterRank: 8, interval: 100 }, flag('lift-lr', 5e-3)),
  await withLiftSft(copyOf(pretrained), 'full', {}, flag('full-lr', 1e-3)),
  await withTfjsAdam(copyOf(pretrained), flag('adam-lr', 1e-3)),
];

console.log('');
console.log('| method | trainable parameters | optimizer state (floats) | shifted accuracy before → after | source accuracy before → after | seconds |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(`| ${r.method} | ${r.trainable.toLocaleString('en')} | ${r.stateFloats.toLocaleString('en')} | ${pct(before.target)} → ${pct(r.targetAfter)} | ${pct(before.source)} → ${pct(r.sourceAfter)} | ${r.seconds.toFixed(1)} |`);
}
