/** `globalAveragePooling2d` (tfjs `tf.layers.globalAveragePooling2d`). */
import { globalPoolingKind } from './global-pooling.js';

export const globalAveragePooling2d = globalPoolingKind(
  'globalAveragePooling2d',
  'Mean over height and width: [height, width, channels] becomes [channels].',
);
