/** `reshape` (tfjs `tf.layers.reshape`): a new shape with the same number of elements. */
import { fail, formatShape, product, shapeRule } from './common.js';
import { defineLayerKind, type LayerConfig } from './kind.js';

const properties = {
  targetShape: {
    type: 'array',
    items: { type: 'integer', minimum: 1 },
    minItems: 1,
    description: 'The new shape without the batch axis; it must hold as many elements as the input.',
  },
};

function readTarget(config: LayerConfig): number[] {
  const value = config['targetShape'];
  if (!Array.isArray(value) || value.length === 0 || !value.every((d) => typeof d === 'number' && Number.isInteger(d) && (d >= 1 || d === -1))) {
    fail({
      code: 'invalid-property',
      property: 'targetShape',
      message: `targetShape must be a non-empty list of positive integers, got ${JSON.stringify(value)}`,
    });
  }
  return value as number[];
}

export const reshape = defineLayerKind({
  type: 'reshape',
  description: 'Reshapes the activation to targetShape, keeping the number of elements.',
  properties,
  required: ['targetShape'],
  outputShape: (config, input) =>
    shapeRule(() => {
      const target = readTarget(config);
      const total = product(input);
      const unknown = target.filter((d) => d === -1).length;
      const known = product(target.filter((d) => d !== -1));
      if (unknown > 0) {
        // tfjs 4.22 leaves a -1 axis unknown in a model (Reshape.computeOutputShape gives up when
        // the batch axis is unknown), so the layers after it could not be built: ask for the value.
        const inferred = unknown === 1 && total % known === 0 ? target.map((d) => (d === -1 ? total / known : d)) : undefined;
        fail({
          code: inferred ? 'reshape-unknown-dimension' : 'reshape-size-mismatch',
          property: 'targetShape',
          message: inferred
            ? `targetShape ${formatShape(target)}: TensorFlow.js leaves a -1 axis unknown inside a model, so the next layers cannot be built`
            : `cannot reshape ${formatShape(input)} (${total} elements) to ${formatShape(target)}`,
          ...(inferred ? { hint: `write targetShape: ${formatShape(inferred)}` } : {}),
        });
      }
      if (known !== total) {
        fail({
          code: 'reshape-size-mismatch',
          property: 'targetShape',
          message: `cannot reshape ${formatShape(input)} (${total} elements) to ${formatShape(target)} (${known} elements)`,
          hint: 'the product of targetShape must equal the number of elements of the input; -1 infers one axis',
        });
      }
      return target;
    }),
  paramCount: () => 0,
});
