/** `maxPooling2d` (tfjs `tf.layers.maxPooling2d`). */
import { poolingKind } from './pooling.js';

export const maxPooling2d = poolingKind('maxPooling2d', 'Max pooling over windows of [height, width, channels]; channels are kept.');
