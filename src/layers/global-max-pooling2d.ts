/** `globalMaxPooling2d` (tfjs `tf.layers.globalMaxPooling2d`). */
import { globalPoolingKind } from './global-pooling.js';

export const globalMaxPooling2d = globalPoolingKind(
  'globalMaxPooling2d',
  'Maximum over height and width: [height, width, channels] becomes [channels].',
);
