/**
 * The names TensorFlow.js 4.22 accepts for activations, losses and metrics: the one place the
 * schema (src/spec), the checker and the emitters take them from. Each list is checked against
 * tfjs itself in test/layers/names.test.ts.
 */

/** `ActivationIdentifier` of tfjs-layers 4.22 (keras_format/activation_config). */
export const ACTIVATIONS = [
  'elu',
  'hardSigmoid',
  'linear',
  'relu',
  'relu6',
  'selu',
  'sigmoid',
  'softmax',
  'softplus',
  'softsign',
  'tanh',
  'swish',
  'mish',
  'gelu',
  'gelu_new',
] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** Keys of tfjs-layers' `lossesMap`: the string names `model.compile({ loss })` resolves. */
export const LOSSES = [
  'meanSquaredError',
  'meanAbsoluteError',
  'meanAbsolutePercentageError',
  'meanSquaredLogarithmicError',
  'squaredHinge',
  'hinge',
  'categoricalHinge',
  'logcosh',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
  'binaryCrossentropy',
  'kullbackLeiblerDivergence',
  'poisson',
  'cosineProximity',
] as const;
export type Loss = (typeof LOSSES)[number];

/**
 * Metric names `model.compile({ metrics })` resolves: the shortcuts `accuracy`/`acc` and
 * `crossentropy`/`ce` (picked per loss), then the keys of tfjs-layers' `metricsMap`.
 */
export const METRICS = [
  'accuracy',
  'acc',
  'crossentropy',
  'ce',
  'binaryAccuracy',
  'categoricalAccuracy',
  'precision',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
  'mse',
  'MSE',
  'mae',
  'MAE',
  'mape',
  'MAPE',
  'cosine',
] as const;
export type Metric = (typeof METRICS)[number];

export const isActivation = (name: unknown): name is Activation =>
  typeof name === 'string' && (ACTIVATIONS as readonly string[]).includes(name);
export const isLoss = (name: unknown): name is Loss =>
  typeof name === 'string' && (LOSSES as readonly string[]).includes(name);
export const isMetric = (name: unknown): name is Metric =>
  typeof name === 'string' && (METRICS as readonly string[]).includes(name);
