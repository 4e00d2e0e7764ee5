/** `dense`: a fully connected layer on the last axis (tfjs `tf.layers.dense`). */
import { ACTIVATIONS } from './activations.js';
import { activationProperty, integerProperty, readBoolean, readEnum, readInteger, requireMinRank, shapeRule, useBiasProperty } from './common.js';
import { defineLayerKind } from './kind.js';

const properties = {
  units: integerProperty('Number of output units (the width of the output).'),
  activation: activationProperty(),
  useBias: useBiasProperty,
};

export const dense = defineLayerKind({
  type: 'dense',
  description: 'Fully connected layer: output = activation(input · kernel + bias), applied to the last axis.',
  properties,
  required: ['units'],
  outputShape: (config, input) =>
    shapeRule(() => {
      requireMinRank('dense', input, 1);
      return [...input.slice(0, -1), readInteger(config, properties, 'units')];
    }),
  paramCount: (config, input) => {
    const units = readInteger(config, properties, 'units');
    const inputDim = input[input.length - 1] ?? 0;
    return inputDim * units + (readBoolean(config, properties, 'useBias') ? units : 0);
  },
});
