/**
 * The TensorFlow.js lowering of every built-in layer kind: a `tf.layers.<factory>({...})` call
 * with the layer's tfjs name and its properties, the schema's defaults filled in (so the
 * generated code says every setting, and does not depend on tfjs's defaults). Sizes that may be
 * one integer or a [height, width] pair are written as one integer when both are equal.
 */
import {
  activation,
  averagePooling2d,
  batchNormalization,
  conv2d,
  dense,
  depthwiseConv2d,
  dropout,
  flatten,
  globalAveragePooling2d,
  globalMaxPooling2d,
  layerNormalization,
  maxPooling2d,
  reshape,
} from '../../layers/index.js';
import { pairValue, readPair } from '../../layers/common.js';
import type { LayerConfig, LayerKind } from '../../layers/kind.js';
import type { TfjsLayerLowering } from './lowering.js';

/** A property written as is (default filled), a size written as an integer or a pair, or a fixed value. */
type Arg = string | { readonly pair: string; readonly defaultsTo?: string } | { readonly fixed: string; readonly value: unknown };

/** The value of `key` in `config`, or the default the kind's schema declares for it. */
function valueOf(kind: LayerKind, config: LayerConfig, key: string): unknown {
  const value = Object.hasOwn(config, key) ? config[key] : undefined;
  return value === undefined || value === null ? (kind.properties[key] as { default?: unknown } | undefined)?.default : value;
}

/** `tf.layers.<factory>({ name, ...args })`, every value rendered by `ctx.literal`. */
function factory(kind: LayerKind, name: string, args: readonly Arg[] = []): TfjsLayerLowering {
  return {
    emit: (config, ctx) => {
      const values: Record<string, unknown> = { name: ctx.layerName };
      for (const arg of args) {
        if (typeof arg === 'string') values[arg] = valueOf(kind, config, arg);
        else if ('fixed' in arg) values[arg.fixed] = arg.value;
        else {
          const fallback = arg.defaultsTo !== undefined ? readPair(config, kind.properties, arg.defaultsTo) : undefined;
          values[arg.pair] = pairValue(readPair(config, kind.properties, arg.pair, fallback));
        }
      }
      return `${ctx.tf}.layers.${name}(${ctx.literal(values)})`;
    },
  };
}

const pair = (key: string, defaultsTo?: string): Arg => (defaultsTo !== undefined ? { pair: key, defaultsTo } : { pair: key });
const pooling = (kind: LayerKind, name: string) => factory(kind, name, [pair('poolSize'), pair('strides', 'poolSize'), 'padding']);

/** By layer kind `type`. */
export const TFJS_LAYER_LOWERINGS: Readonly<Record<string, TfjsLayerLowering>> = {
  [dense.type]: factory(dense, 'dense', ['units', 'activation', 'useBias']),
  [conv2d.type]: factory(conv2d, 'conv2d', ['filters', pair('kernelSize'), pair('strides'), 'padding', pair('dilationRate'), 'activation', 'useBias']),
  // No dilationRate: tfjs 4.22's depthwiseConv2d ignores it (the kind accepts only 1).
  [depthwiseConv2d.type]: factory(depthwiseConv2d, 'depthwiseConv2d', [pair('kernelSize'), 'depthMultiplier', pair('strides'), 'padding', 'activation', 'useBias']),
  [maxPooling2d.type]: pooling(maxPooling2d, 'maxPooling2d'),
  [averagePooling2d.type]: pooling(averagePooling2d, 'averagePooling2d'),
  [globalAveragePooling2d.type]: factory(globalAveragePooling2d, 'globalAveragePooling2d'),
  [globalMaxPooling2d.type]: factory(globalMaxPooling2d, 'globalMaxPooling2d'),
  [flatten.type]: factory(flatten, 'flatten'),
  [reshape.type]: factory(reshape, 'reshape', ['targetShape']),
  [dropout.type]: factory(dropout, 'dropout', ['rate']),
  // Normalise over the channel (last) axis, as the kinds' shape rules and parameter counts assume.
  [batchNormalization.type]: factory(batchNormalization, 'batchNormalization', [{ fixed: 'axis', value: -1 }, 'momentum', 'epsilon', 'center', 'scale']),
  [layerNormalization.type]: factory(layerNormalization, 'layerNormalization', [{ fixed: 'axis', value: -1 }, 'epsilon', 'center', 'scale']),
  [activation.type]: factory(activation, 'activation', ['activation']),
};
