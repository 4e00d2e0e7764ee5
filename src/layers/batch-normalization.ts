/** `batchNormalization` (tfjs `tf.layers.batchNormalization`), over the last axis. */
import { fail, formatShape, readBoolean, readNumber, requireMinRank, shapeRule } from './common.js';
import { defineLayerKind, type LayerConfig } from './kind.js';

const properties = {
  momentum: {
    type: 'number',
    minimum: 0,
    maximum: 1,
    default: 0.99,
    description: 'Momentum of the moving mean and variance, in [0, 1].',
  },
  epsilon: {
    type: 'number',
    exclusiveMinimum: 0,
    default: 0.001,
    description: 'Small constant added to the variance to avoid dividing by zero.',
  },
  center: { type: 'boolean', default: true, description: 'Whether to learn an offset (beta).' },
  scale: { type: 'boolean', default: true, description: 'Whether to learn a scale (gamma).' },
};

function read(config: LayerConfig) {
  return {
    momentum: readNumber(config, properties, 'momentum', { min: 0, max: 1 }),
    epsilon: readNumber(config, properties, 'epsilon', { min: 0, minExclusive: true }),
    center: readBoolean(config, properties, 'center'),
    scale: readBoolean(config, properties, 'scale'),
  };
}

export const batchNormalization = defineLayerKind({
  type: 'batchNormalization',
  description: 'Normalises each channel (last axis) with batch statistics, keeping moving averages for inference.',
  properties,
  outputShape: (config, input) =>
    shapeRule(() => {
      requireMinRank('batchNormalization', input, 1);
      // tfjs implements batch normalization for ranks 2 to 4 with the batch axis.
      if (input.length > 3) {
        fail({
          code: 'unsupported-by-tfjs',
          message: `batchNormalization: TensorFlow.js normalises inputs of rank ≤ 3 (without the batch axis); this one is ${formatShape(input)}`,
          hint: 'reshape to [height, width, channels] (or flatten) before it',
        });
      }
      const c = read(config);
      // tfjs 4.22 cannot train it without a learned offset or scale (its layer reads gamma and beta unconditionally in training): say so before anything runs.
      for (const property of ['center', 'scale'] as const) {
        if (!c[property]) {
          fail({
            code: 'unsupported-by-tfjs',
            property,
            message: `batchNormalization: TensorFlow.js cannot train it with ${property}: false (tfjs 4.22 fails at the first training step)`,
            hint: `remove ${property}: false (the ${property === 'center' ? 'offset beta starts at 0' : 'scale gamma starts at 1'} and is learned)`,
          });
        }
      }
      return input;
    }),
  // gamma and beta (when learned) plus the moving mean and variance, one value per channel each.
  paramCount: (config, input) => {
    const c = read(config);
    const channels = input[input.length - 1] ?? 0;
    return channels * (2 + (c.center ? 1 : 0) + (c.scale ? 1 : 0));
  },
});
