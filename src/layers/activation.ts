/** `activation` (tfjs `tf.layers.activation`): an element-wise function. */
import { ACTIVATIONS } from './activations.js';
import { readEnum, shapeRule } from './common.js';
import { defineLayerKind } from './kind.js';

const properties = {
  activation: {
    type: 'string',
    enum: [...ACTIVATIONS],
    description: 'The element-wise function, by its TensorFlow.js name.',
  },
};

export const activation = defineLayerKind({
  type: 'activation',
  description: 'Applies an activation function element-wise; the shape is unchanged.',
  properties,
  required: ['activation'],
  outputShape: (config, input) =>
    shapeRule(() => {
      readEnum(config, properties, 'activation', ACTIVATIONS);
      return input;
    }),
  paramCount: () => 0,
});
