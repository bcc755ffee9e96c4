/** Tiny seeded tfjs models and data for the tfjs host's tests (milliseconds on tfjs' CPU backend). */
import * as tf from '@tensorflow/tfjs';

export const seeded = (seed: number) => tf.initializers.glorotUniform({ seed });

/** x [n, inDim] → hidden (relu) → out: two Dense kernels ([in, out] in tfjs) with biases. */
export function mlp(inDim: number, hidden: number, out: number, seed = 1): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [inDim], units: hidden, activation: 'relu', name: 'hidden', kernelInitializer: seeded(seed), biasInitializer: 'zeros' }),
      tf.layers.dense({ units: out, name: 'out', kernelInitializer: seeded(seed + 1), biasInitializer: 'zeros' }),
    ],
  });
}

/** A seeded classification batch: labels from a fixed random linear teacher. */
export function batch(n: number, inDim: number, classes: number, seed = 7): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.randomNormal([n, inDim], 0, 1, 'float32', seed) as tf.Tensor2D;
    const teacher = tf.randomNormal([inDim, classes], 0, 1, 'float32', seed + 1);
    const y = tf.oneHot(tf.argMax(tf.matMul(x, teacher), 1) as tf.Tensor1D, classes).toFloat() as tf.Tensor2D;
    return { x, y };
  });
}

export const crossEntropy = (model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor) => () =>
  tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar;

/** Values of a tfjs variable stored [in, out], read at lift-sft's [out, in] flat index o·in + i. */
export function atOutIn(kernel: ArrayLike<number>, inDim: number, outDim: number, flat: number): number {
  const o = Math.floor(flat / inDim);
  const i = flat % inDim;
  return kernel[i * outDim + o]!;
}
