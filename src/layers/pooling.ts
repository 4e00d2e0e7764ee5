/** What maxPooling2d and averagePooling2d share: a window over [height, width, channels]. */
import {
  
  IMAGE,
  imageHint,
  paddingProperty,
  pairProperty,
  pairValue,
  readEnum,
  readPair,
  requireRank,
  shapeRule,
  spatialOutput,
} from './common.js';
import { defineLayerKind, type LayerConfig, type LayerKind } from './kind.js';

export function poolingKind(type: 'maxPooling2d' | 'averagePooling2d', description: string): LayerKind {
  const properties = {
    poolSize: pairProperty('Size of the pooling window.', 2),
    strides: {
      ...pairProperty('Step of the window; defaults to poolSize (non-overlapping windows).'),
    },
    padding: paddingProperty,
  };
  const read = (config: LayerConfig) => {
    const poolSize = readPair(config, properties, 'poolSize');
    return {
      poolSize,
      strides: readPair(config, properties, 'strides', poolSize),
      padding: readEnum(config, properties, 'padding', ['valid', 'same'] as const),
    };
  };
  return defineLayerKind({
    type,
    description,
    properties,
    outputShape: (config, input) =>
      shapeRule(() => {
        requireRank(type, input, 3, IMAGE, imageHint(input));
        const c = read(config);
        const [h, w] = spatialOutput(type, input, c.poolSize, c.strides, c.padding, [1, 1], 'poolSize');
        return [h, w, input[2]!];
      }),
    paramCount: () => 0,
  });
}
