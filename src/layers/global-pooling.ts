/** What globalAveragePooling2d and globalMaxPooling2d share: [h, w, c] -> [c]. */
import { IMAGE, imageHint, requireRank, shapeRule } from './common.js';
import { defineLayerKind, type LayerKind } from './kind.js';

export function globalPoolingKind(type: 'globalAveragePooling2d' | 'globalMaxPooling2d', description: string): LayerKind {
  return defineLayerKind({
    type,
    description,
    properties: {},
    outputShape: (_config, input) =>
      shapeRule(() => {
        requireRank(type, input, 3, IMAGE, imageHint(input));
        return [input[2]!];
      }),
    paramCount: () => 0,
  });
}
