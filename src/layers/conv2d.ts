/** `conv2d`: a 2-D convolution over [height, width, channels] (tfjs `tf.layers.conv2d`). */
import { ACTIVATIONS } from './activations.js';
import {
  activationProperty,
  checkStridesAndDilation,
  
  fail,
  formatShape,
  IMAGE,
  imageHint,
  integerProperty,
  paddingProperty,
  pairProperty,
  pairValue,
  readBoolean,
  readEnum,
  readInteger,
  readPair,
  requireRank,
  shapeRule,
  spatialOutput,
  useBiasProperty,
} from './common.js';
import { defineLayerKind, type LayerConfig } from './kind.js';

const properties = {
  filters: integerProperty('Number of output channels (convolution filters).'),
  kernelSize: pairProperty('Size of the convolution window.'),
  strides: pairProperty('Step of the window.', 1),
  padding: paddingProperty,
  dilationRate: pairProperty('Dilation of the window (atrous convolution); cannot be combined with strides > 1.', 1),
  activation: activationProperty(),
  useBias: useBiasProperty,
};

function read(config: LayerConfig) {
  return {
    filters: readInteger(config, properties, 'filters'),
    kernelSize: readPair(config, properties, 'kernelSize'),
    strides: readPair(config, properties, 'strides'),
    padding: readEnum(config, properties, 'padding', ['valid', 'same'] as const),
    dilationRate: readPair(config, properties, 'dilationRate'),
    activation: readEnum(config, properties, 'activation', ACTIVATIONS),
    useBias: readBoolean(config, properties, 'useBias'),
  };
}

export const conv2d = defineLayerKind({
  type: 'conv2d',
  description: 'Two-dimensional convolution over an activation of shape [height, width, channels].',
  properties,
  required: ['filters', 'kernelSize'],
  outputShape: (config, input) =>
    shapeRule(() => {
      requireRank('conv2d', input, 3, IMAGE, imageHint(input));
      const c = read(config);
      checkStridesAndDilation('conv2d', c.strides, c.dilationRate);
      const [h, w] = spatialOutput('conv2d', input, c.kernelSize, c.strides, c.padding, c.dilationRate, 'kernelSize');
      // tfjs 4.22 throws "dilation rates greater than 1 are not yet supported in gradients" at the
      // first training step (every backend): say so before anything runs.
      if (c.dilationRate[0] > 1 || c.dilationRate[1] > 1) {
        fail({
          code: 'unsupported-by-tfjs',
          property: 'dilationRate',
          message: `conv2d: TensorFlow.js cannot train a dilated convolution (dilationRate ${formatShape(c.dilationRate)}): its gradient is not implemented for dilation > 1`,
          hint: 'use dilationRate: 1 (a larger kernelSize, or a depthwiseConv2d with dilationRate, covers a wider window)',
        });
      }
      return [h, w, c.filters];
    }),
  paramCount: (config, input) => {
    const c = read(config);
    const inChannels = input[input.length - 1] ?? 0;
    return c.kernelSize[0] * c.kernelSize[1] * inChannels * c.filters + (c.useBias ? c.filters : 0);
  },
});
