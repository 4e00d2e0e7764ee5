/**
 * The `residualDense` layer kind: schema fragment, shape rule, parameter count and tfjs lowering, with
 * the same interface as mtlc's built-in kinds. Its runtime class is ./residual-dense.ts.
 */
import { fileURLToPath } from 'node:url';
import { defineLayerKind } from 'mtlc';

const ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'elu', 'linear'] as const;

export const residualDense = defineLayerKind({
  type: 'residualDense',
  description: 'Residual dense block: output = input + W2 · activation(W1 · input + b1) + b2; keeps the input shape.',
  properties: {
    hidden: { type: 'integer', minimum: 1, maximum: 65536, description: 'Width of the inner layer.' },
    activation: { enum: [...ACTIVATIONS], default: 'relu', description: 'Activation of the inner layer.' },
  },
  required: ['hidden'],
  outputShape: (_config, input) =>
    input.length === 1
      ? { shape: input }
      : {
          error: {
            code: 'residual-needs-vector',
            message: `residualDense needs a vector input [features], got [${input.join(', ')}]`,
            hint: 'add a flatten layer before it',
          },
        },
  paramCount: (config, input) => {
    const width = input[input.length - 1] ?? 0;
    const hidden = config['hidden'] as number;
    return width * hidden + hidden + hidden * width + width;
  },
  // How the TensorFlow.js target spells it: a constructor call of the runtime class.
  lowerings: {
    tfjs: {
      emit: (config, ctx) =>
        `new ${ctx.runtimeClass}(${ctx.literal({ name: ctx.layerName, hidden: config['hidden'], activation: config['activation'] ?? 'relu' })})`,
      // Relative to this file (a .js path may name the .ts beside it); generated code imports it.
      runtimeClass: { module: fileURLToPath(new URL('./residual-dense.js', import.meta.url)), exportName: 'ResidualDense' },
    },
  },
});
