/** `depthwiseConv2d`: a per-channel 2-D convolution (tfjs `tf.layers.depthwiseConv2d`). */
import { ACTIVATIONS } from './activations.js';
import {
  activationProperty,
  
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
  kernelSize: pairProperty('Size of the convolution window.'),
  depthMultiplier: integerProperty('Output channels per input channel.', { default: 1 }),
  strides: pairProperty('Step of the window.', 1),
  padding: paddingProperty,
  dilationRate: pairProperty(
    'Dilation of the window. TensorFlow.js 4.22 does not apply it in depthwiseConv2d (it ignores the setting), so only 1 is accepted.',
    1,
  ),
  activation: activationProperty(),
  useBias: useBiasProperty,
};

function read(config: LayerConfig) {
  return {
    kernelSize: readPair(config, properties, 'kernelSize'),
    depthMultiplier: readInteger(config, properties, 'depthMultiplier'),
    strides: readPair(config, properties, 'strides'),
    padding: readEnum(config, properties, 'padding', ['valid', 'same'] as const),
    dilationRate: readPair(config, properties, 'dilationRate'),
    activation: readEnum(config, properties, 'activation', ACTIVATIONS),
    useBias: readBoolean(config, properties, 'useBias'),
  };
}

export const depthwiseConv2d = defineLayerKind({
  type: 'depthwiseConv2d',
  description: 'Depthwise 2-D convolution: each input channel is convolved on its own, depthMultiplier times.',
  properties,
  required: ['kernelSize'],
  outputShape: (config, input) =>
    shapeRule(() => {
      requireRank('depthwiseConv2d', input, 3, IMAGE, imageHint(input));
      const c = read(config);
      if (c.dilationRate[0] !== 1 || c.dilationRate[1] !== 1) {
        // tfjs-layers 4.22 DepthwiseConv2D.call passes no dilation to the op ("TODO: Add support
        // for dilation"), so a dilated spec would silently train an undilated layer.
        fail({
          code: 'unsupported-dilation',
          property: 'dilationRate',
          message: `depthwiseConv2d: TensorFlow.js 4.22 ignores dilationRate ${formatShape(c.dilationRate)} in this layer, so the model would not be what the spec says`,
          hint: 'remove dilationRate, or use conv2d with dilationRate',
        });
      }
      const [h, w] = spatialOutput('depthwiseConv2d', input, c.kernelSize, c.strides, c.padding, [1, 1], 'kernelSize');
      return [h, w, input[2]! * c.depthMultiplier];
    }),
  paramCount: (config, input) => {
    const c = read(config);
    const out = (input[input.length - 1] ?? 0) * c.depthMultiplier;
    return c.kernelSize[0] * c.kernelSize[1] * out + (c.useBias ? out : 0);
  },
});
