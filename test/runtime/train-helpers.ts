import * as tf from '@tensorflow/tfjs';
import { crossStitch, withSeededRandom, type BuiltModel, type ModelBuilder, type TrainingPlan } from 'mtlc/runtime';

/** Two tiny towers (dense 6) stitched by a scalar-mode CrossStitch, heads `a` (3 classes) and `b` (1 value). */
export const tinyBuild: ModelBuilder<'a' | 'b'> = (options) => {
  const make = (): BuiltModel<'a' | 'b'> => {
    const input = tf.input({ shape: [4], name: 'x' });
    const a1 = tf.layers.dense({ units: 6, activation: 'relu', name: 'a_fc1' }).apply(input) as tf.SymbolicTensor;
    const b1 = tf.layers.dense({ units: 6, activation: 'relu', name: 'b_fc1' }).apply(input) as tf.SymbolicTensor;
    const [a2, b2] = crossStitch({ mode: 'scalar', init: { self: 0.9, other: 0.1 }, name: 'cross_stitch_j' }).apply([a1, b1]) as tf.SymbolicTensor[];
    const a = tf.layers.dense({ units: 3, activation: 'softmax', name: 'a' }).apply(a2!) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 1, name: 'b' }).apply(b2!) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [a, b] });
    return {
      model,
      predict: (x) => {
        const [pa, pb] = model.predict(x) as tf.Tensor[];
        return { a: pa!, b: pb! };
      },
      tasks: ['a', 'b'] as const,
      junctions: [{ name: 'j', layerName: 'cross_stitch_j', mode: 'scalar', towers: ['a', 'b'] }],
    };
  };
  return options?.seed !== undefined ? withSeededRandom(options.seed, make) : make();
};

export function tinyPlan(overrides: Partial<TrainingPlan> = {}): TrainingPlan {
  return {
    modelName: 'Tiny',
    specHash: 'f'.repeat(64),
    input: { name: 'x', shape: [4] },
    tasks: [
      { name: 'a', loss: 'categoricalCrossentropy', lossWeight: 1, metrics: ['accuracy'], outputShape: [3] },
      { name: 'b', loss: 'meanSquaredError', lossWeight: 1, metrics: [], outputShape: [1] },
    ],
    backend: 'cpu',
    optimizer: { type: 'adam', learningRate: 0.01 },
    crossStitchLearningRateMultiplier: 10,
    batchSize: 8,
    epochs: 2,
    validationSplit: 0,
    seed: 7,
    taskWeighting: { type: 'fixed' },
    data: { format: 'jsonl', path: 'unused.jsonl', input: 'x', targets: { a: 'a', b: 'b' } },
    ...overrides,
  };
}

/** 40 deterministic examples: a = argmax-ish class of x, b = sum of x. */
export function tinyData(n = 40): { inputs: tf.Tensor; targets: { a: tf.Tensor; b: tf.Tensor } } {
  const xs: number[][] = [];
  const cls: number[] = [];
  const sum: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = [Math.sin(i), Math.cos(i * 0.7), ((i * 37) % 11) / 11, ((i * 13) % 7) / 7];
    xs.push(x);
    cls.push(i % 3);
    sum.push(x.reduce((s, v) => s + v, 0));
  }
  return {
    inputs: tf.tensor2d(xs),
    targets: { a: tf.oneHot(tf.tensor1d(cls, 'int32'), 3).toFloat(), b: tf.tensor2d(sum, [n, 1]) },
  };
}
