/** `dropout` (tfjs `tf.layers.dropout`). */
import { readNumber, shapeRule } from './common.js';
import { defineLayerKind, type LayerConfig } from './kind.js';

const properties = {
  rate: {
    type: 'number',
    minimum: 0,
    exclusiveMaximum: 1,
    default: 0.5,
    description: 'Fraction of the inputs set to zero during training, in [0, 1).',
  },
};

const readRate = (config: LayerConfig): number => readNumber(config, properties, 'rate', { min: 0, max: 1, maxExclusive: true });

export const dropout = defineLayerKind({
  type: 'dropout',
  description: 'Sets a random fraction of the inputs to zero during training; the identity at inference.',
  properties,
  outputShape: (config, input) =>
    shapeRule(() => {
      readRate(config);
      return input;
    }),
  paramCount: () => 0,
});
