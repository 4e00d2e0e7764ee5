/** `flatten` (tfjs `tf.layers.flatten`): any shape to one axis. */
import { emitFactory, product, shapeRule } from './common.js';
import { defineLayerKind } from './kind.js';

export const flatten = defineLayerKind({
  type: 'flatten',
  description: 'Flattens the activation to one axis (the batch axis is kept).',
  properties: {},
  outputShape: (_config, input) => shapeRule(() => [product(input)]),
  paramCount: () => 0,
  emit: (_config, ctx) => emitFactory(ctx, 'flatten', {}),
});
