/** `flatten` (tfjs `tf.layers.flatten`): any shape to one axis. */
import { formatShape, fail, product, shapeRule } from './common.js';
import { defineLayerKind } from './kind.js';

export const flatten = defineLayerKind({
  type: 'flatten',
  description: 'Flattens the activation to one axis (the batch axis is kept).',
  properties: {},
  outputShape: (_config, input) =>
    shapeRule(() => {
      // tfjs Flatten declares minNDim 3 (with the batch axis): a flat activation is refused.
      if (input.length < 2) {
        fail({
          code: 'wrong-input-rank',
          message: `flatten expects an input of rank ≥ 2 (without the batch axis); ${formatShape(input)} is already flat`,
          hint: 'remove this flatten',
        });
      }
      return [product(input)];
    }),
  paramCount: () => 0,
});
