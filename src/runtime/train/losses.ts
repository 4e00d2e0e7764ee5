/**
 * Per-example loss and metric functions by the names the spec uses (tfjs-layers' names).
 * Each returns a per-example tensor [batch]; the loop averages.
 */
import * as tf from '@tensorflow/tfjs';

type PerExample = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

const EPS = 1e-7;

const lastAxisMean = (t: tf.Tensor): tf.Tensor => (t.rank > 1 ? tf.mean(t, -1) : t);

const LOSS_FNS: Record<string, PerExample> = {
  meanSquaredError: (y, p) => lastAxisMean(tf.squaredDifference(y, p)),
  meanAbsoluteError: (y, p) => lastAxisMean(tf.abs(tf.sub(y, p))),
  meanAbsolutePercentageError: (y, p) => tf.mul(100, lastAxisMean(tf.abs(tf.div(tf.sub(y, p), tf.maximum(tf.abs(y), EPS))))),
  meanSquaredLogarithmicError: (y, p) =>
    lastAxisMean(tf.squaredDifference(tf.log1p(tf.maximum(y, EPS)), tf.log1p(tf.maximum(p, EPS)))),
  squaredHinge: (y, p) => lastAxisMean(tf.square(tf.relu(tf.sub(1, tf.mul(y, p))))),
  hinge: (y, p) => lastAxisMean(tf.relu(tf.sub(1, tf.mul(y, p)))),
  categoricalHinge: (y, p) => {
    const pos = tf.sum(tf.mul(y, p), -1);
    const neg = tf.max(tf.mul(tf.sub(1, y), p), -1);
    return tf.relu(tf.add(tf.sub(neg, pos), 1));
  },
  logcosh: (y, p) => {
    const d = tf.sub(p, y);
    return lastAxisMean(tf.sub(tf.add(d, tf.softplus(tf.mul(-2, d))), Math.log(2)));
  },
  categoricalCrossentropy: (y, p) => {
    const q = tf.clipByValue(tf.div(p, tf.sum(p, -1, true)), EPS, 1 - EPS);
    return tf.neg(tf.sum(tf.mul(y, tf.log(q)), -1));
  },
  sparseCategoricalCrossentropy: (y, p) => {
    const classes = p.shape[p.shape.length - 1]!;
    const oneHot = tf.oneHot(tf.cast(tf.reshape(y, [-1]), 'int32'), classes);
    return LOSS_FNS['categoricalCrossentropy']!(oneHot, p);
  },
  binaryCrossentropy: (y, p) => {
    const q = tf.clipByValue(p, EPS, 1 - EPS);
    return lastAxisMean(tf.neg(tf.add(tf.mul(y, tf.log(q)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, q))))));
  },
  kullbackLeiblerDivergence: (y, p) => {
    const yc = tf.clipByValue(y, EPS, 1);
    const pc = tf.clipByValue(p, EPS, 1);
    return tf.sum(tf.mul(y, tf.log(tf.div(yc, pc))), -1);
  },
  poisson: (y, p) => lastAxisMean(tf.sub(p, tf.mul(y, tf.log(tf.add(p, EPS))))),
  cosineProximity: (y, p) => tf.neg(tf.sum(tf.mul(l2n(y), l2n(p)), -1)),
};

function l2n(t: tf.Tensor): tf.Tensor {
  return tf.div(t, tf.maximum(tf.norm(t, 'euclidean', -1, true), EPS));
}

/** Losses whose targets are one-hot vectors (a class index in the data is one-hot encoded). */
export const ONE_HOT_LOSSES: ReadonlySet<string> = new Set(['categoricalCrossentropy', 'categoricalHinge', 'kullbackLeiblerDivergence']);

export function lossFunction(name: string): PerExample {
  const fn = LOSS_FNS[name];
  if (!fn) throw new Error(`unknown loss '${name}'; known: ${Object.keys(LOSS_FNS).join(', ')}`);
  return fn;
}

function argmaxAccuracy(y: tf.Tensor, p: tf.Tensor): tf.Tensor {
  return tf.cast(tf.equal(tf.argMax(y, -1), tf.argMax(p, -1)), 'float32');
}

function sparseAccuracy(y: tf.Tensor, p: tf.Tensor): tf.Tensor {
  return tf.cast(tf.equal(tf.cast(tf.reshape(y, [-1]), 'int32'), tf.cast(tf.argMax(p, -1), 'int32')), 'float32');
}

function binaryAccuracy(y: tf.Tensor, p: tf.Tensor): tf.Tensor {
  return lastAxisMean(tf.cast(tf.equal(y, tf.cast(tf.greater(p, 0.5), y.dtype)), 'float32'));
}

/** A metric by name, given the task's loss (accuracy and crossentropy are picked per loss, as in tfjs-layers). */
export function metricFunction(name: string, loss: string): PerExample {
  if (name === 'accuracy' || name === 'acc') {
    if (loss === 'binaryCrossentropy') return binaryAccuracy;
    if (loss === 'sparseCategoricalCrossentropy') return sparseAccuracy;
    return argmaxAccuracy;
  }
  if (name === 'crossentropy' || name === 'ce') {
    if (loss === 'binaryCrossentropy') return LOSS_FNS['binaryCrossentropy']!;
    if (loss === 'sparseCategoricalCrossentropy') return LOSS_FNS['sparseCategoricalCrossentropy']!;
    return LOSS_FNS['categoricalCrossentropy']!;
  }
  const alias: Record<string, string> = {
    mse: 'meanSquaredError',
    MSE: 'meanSquaredError',
    mae: 'meanAbsoluteError',
    MAE: 'meanAbsoluteError',
    mape: 'meanAbsolutePercentageError',
    MAPE: 'meanAbsolutePercentageError',
    cosine: 'cosineProximity',
  };
  if (name === 'binaryAccuracy') return binaryAccuracy;
  if (name === 'categoricalAccuracy') return argmaxAccuracy;
  if (name === 'sparseCategoricalAccuracy') return sparseAccuracy;
  if (name === 'precision' || name === 'recall') {
    // Per-example contributions do not average to precision/recall; approximate per batch.
    return (y, p) => {
      const pred = tf.cast(tf.greater(p, 0.5), 'float32');
      const tp = tf.sum(tf.mul(y, pred));
      const denom = name === 'precision' ? tf.sum(pred) : tf.sum(y);
      return tf.fill([y.shape[0]!], 1).mul(tf.div(tp, tf.maximum(denom, EPS)));
    };
  }
  const fn = LOSS_FNS[alias[name] ?? name];
  if (!fn) throw new Error(`unknown metric '${name}'`);
  return fn;
}
