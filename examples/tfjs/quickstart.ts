// LIFT inside a TensorFlow.js program: tfjs keeps the model, the loss and the data; lift-sft picks
// the principal weights of each Dense kernel and updates only them (sparse AdamW), refreshing the masks.
import * as tf from '@tensorflow/tfjs';
import { HostTuner, defaultRegistry } from 'lift-sft';
import { TfjsHost } from 'lift-sft/tfjs';

// A tfjs-layers model and a seeded 3-class problem, as any tfjs program has them.
const model = tf.sequential({
  layers: [
    tf.layers.dense({ inputShape: [16], units: 32, activation: 'relu', name: 'hidden', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
    tf.layers.dense({ units: 3, name: 'out', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
  ],
});
const x = tf.randomNormal([256, 16], 0, 1, 'float32', 3);
const labels = tf.argMax(tf.matMul(x, tf.randomNormal([16, 3], 0, 1, 'float32', 4)), 1);
const y = tf.oneHot(labels as tf.Tensor1D, 3);
const loss = () => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar;
const lossNow = () => tf.tidy(() => loss().dataSync()[0]!);
const accuracy = () => tf.tidy(() => tf.mean(tf.equal(tf.argMax(model.predict(x) as tf.Tensor, 1), labels).toFloat()).dataSync()[0]!);

// The host: the model's Dense kernels ([in, out] in tfjs), which lift-sft sees as [out, in] matrices.
const host = TfjsHost.fromModel(model);
const tuner = new HostTuner(defaultRegistry(), { method: 'lift', options: { rank: 2, filterRank: 4, interval: 50 } });
await tuner.init(host); // selects the principal weights: k = (out + in)·rank entries per kernel

const before = { loss: lossNow(), accuracy: accuracy() };
let refreshes = 0;
for (let step = 1; step <= 150; step++) {
  host.backward(loss); // tfjs' forward and backward: the gradients of the tuned kernels only
  refreshes += (await tuner.step(host, 1e-2)).refreshed ? 1 : 0; // sparse AdamW on the masked entries, written back
}
const after = { loss: lossNow(), accuracy: accuracy() };

const entries = host.parameterNames().reduce((n, name) => n + host.variable(name).size, 0);
console.log(`lift in tfjs: ${tuner.trainableParams()} of ${entries} kernel entries train (${[...tuner.masks().keys()].join(', ')}), optimizer state ${tuner.stateBytes()} bytes, ${refreshes} mask refreshes`);
console.log(`loss ${before.loss.toFixed(4)} → ${after.loss.toFixed(4)}, accuracy ${(100 * before.accuracy).toFixed(1)}% → ${(100 * after.accuracy).toFixed(1)}%`);
