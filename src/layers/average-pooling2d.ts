/** `averagePooling2d` (tfjs `tf.layers.averagePooling2d`). */
import { poolingKind } from './pooling.js';

export const averagePooling2d = poolingKind('averagePooling2d', 'Average pooling over windows of [height, width, channels]; channels are kept.');
