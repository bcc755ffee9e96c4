/**
 * The tfjs-layers text classifier and its seeded pretraining on the source domain with tfjs'
 * own model.fit: a word embedding averaged over the sentence → two Dense layers (relu) → Dense
 * over the topics (logits). Every initializer has a seed and the data order is fixed, so
 * pretraining repeats exactly.
 *
 * The embedding is a Dense layer without bias over the sentence's word frequencies (counts /
 * length): the same function as Embedding + GlobalAveragePooling1D (the mean of the words'
 * embedding rows), but a matmul, where tfjs' CPU backend computes an Embedding's gradient
 * (unsortedSegmentSum) about 100× slower (1.5 s a batch of 64 here).
 */
import * as tf from '@tensorflow/tfjs';
import { LENGTH, TOPICS, VOCAB, type Examples } from './task.js';

export const EMBEDDING = 32;
export const HIDDEN = 64;

export function classifier(seed = 1): tf.Sequential {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 10 + k });
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [VOCAB], units: EMBEDDING, useBias: false, name: 'embed', kernelInitializer: tf.initializers.randomNormal({ stddev: 0.5, seed }) }),
      tf.layers.dense({ units: HIDDEN, activation: 'relu', name: 'hidden1', kernelInitializer: init(1) }),
      tf.layers.dense({ units: HIDDEN, activation: 'relu', name: 'hidden2', kernelInitializer: init(2) }),
      tf.layers.dense({ units: TOPICS.length, name: 'classifier', kernelInitializer: init(3) }),
    ],
  });
}

/** Word frequencies [n, VOCAB] and one-hot topics [n, TOPICS]. */
export function inputs(data: Examples): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const freq = new Float32Array(data.n * VOCAB);
  for (let s = 0; s < data.n; s++) for (let w = 0; w < LENGTH; w++) freq[s * VOCAB + data.tokens[s * LENGTH + w]!]! += 1 / LENGTH;
  return tf.tidy(() => ({
    x: tf.tensor2d(freq, [data.n, VOCAB]),
    y: tf.oneHot(tf.tensor1d(data.labels, 'int32'), TOPICS.length).toFloat() as tf.Tensor2D,
  }));
}

/** Mean softmax cross-entropy of the logits: the loss of pretraining and of every fine-tuning. */
export const crossEntropy = (labels: tf.Tensor, logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;

/** Fraction of sentences whose predicted topic is right. */
export function accuracy(model: tf.LayersModel, data: Examples): number {
  const { x, y } = inputs(data);
  const predicted = tf.tidy(() => (model.predict(x) as tf.Tensor).argMax(1).dataSync());
  tf.dispose([x, y]);
  let right = 0;
  for (let i = 0; i < data.n; i++) right += predicted[i] === data.labels[i] ? 1 : 0;
  return right / data.n;
}

/** Pretrains on `data` with Adam (tfjs' model.fit, fixed order), in place; returns the last epoch's loss. */
export async function pretrain(model: tf.Sequential, data: Examples, epochs: number): Promise<number> {
  model.compile({ optimizer: tf.train.adam(3e-3), loss: crossEntropy });
  const { x, y } = inputs(data);
  const history = await model.fit(x, y, { epochs, batchSize: 64, shuffle: false, verbose: 0 });
  tf.dispose([x, y]);
  return history.history.loss!.at(-1) as number;
}

/** A copy of `model` with the same weights (one per fine-tuning method). */
export function copyOf(model: tf.LayersModel, seed = 1): tf.Sequential {
  const copy = classifier(seed);
  copy.setWeights(model.getWeights());
  return copy;
}
