/** `reshape` (tfjs `tf.layers.reshape`): a new shape with the same number of elements. */
import { emitFactory, fail, formatShape, product, shapeRule } from './common.js';
import { defineLayerKind, type LayerConfig } from './kind.js';

const properties = {
  targetShape: {
    type: 'array',
    items: { type: 'integer', minimum: -1, not: { const: 0 } },
    minItems: 1,
    description:
      'The new shape without the batch axis; it must hold as many elements as the input. One entry may be -1: it is inferred.',
  },
};

function readTarget(config: LayerConfig): number[] {
  const value = config['targetShape'];
  if (!Array.isArray(value) || value.length === 0 || !value.every((d) => typeof d === 'number' && Number.isInteger(d) && (d >= 1 || d === -1))) {
    fail({
      code: 'invalid-property',
      property: 'targetShape',
      message: `targetShape must be a non-empty list of positive integers (one may be -1), got ${JSON.stringify(value)}`,
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
      if (unknown > 1) {
        fail({ code: 'invalid-property', property: 'targetShape', message: `targetShape may contain -1 only once, got ${formatShape(target)}` });
      }
      const known = product(target.filter((d) => d !== -1));
      if (unknown === 1) {
        if (total % known !== 0) {
          fail({
            code: 'reshape-size-mismatch',
            property: 'targetShape',
            message: `cannot reshape ${formatShape(input)} (${total} elements) to ${formatShape(target)}: ${total} is not a multiple of ${known}`,
          });
        }
        return target.map((d) => (d === -1 ? total / known : d));
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
  emit: (config, ctx) => emitFactory(ctx, 'reshape', { targetShape: readTarget(config) }),
});
