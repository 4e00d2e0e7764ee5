/**
 * The built-in layer kinds, registered through the same `LayerKind` interface a user's plugin
 * implements. Order here is the order of the schema and the docs.
 */
import { activation } from './activation.js';
import { averagePooling2d } from './average-pooling2d.js';
import { batchNormalization } from './batch-normalization.js';
import { conv2d } from './conv2d.js';
import { dense } from './dense.js';
import { depthwiseConv2d } from './depthwise-conv2d.js';
import { dropout } from './dropout.js';
import { flatten } from './flatten.js';
import { globalAveragePooling2d } from './global-average-pooling2d.js';
import { globalMaxPooling2d } from './global-max-pooling2d.js';
import { builtinJunctionKinds } from '../junctions/index.js';
import type { JunctionKind } from '../junctions/kind.js';
import { LayerRegistry, type LayerKind } from './kind.js';
import { layerNormalization } from './layer-normalization.js';
import { maxPooling2d } from './max-pooling2d.js';
import { reshape } from './reshape.js';

export const builtinLayerKinds: readonly LayerKind[] = Object.freeze([
  dense,
  conv2d,
  depthwiseConv2d,
  maxPooling2d,
  averagePooling2d,
  globalAveragePooling2d,
  globalMaxPooling2d,
  flatten,
  reshape,
  dropout,
  batchNormalization,
  layerNormalization,
  activation,
]);

/** A registry with the built-in layer and junction kinds, then a plugin's; a duplicate throws. */
export function createLayerRegistry(extra: Iterable<LayerKind> = [], extraJunctions: Iterable<JunctionKind> = []): LayerRegistry {
  return new LayerRegistry([...builtinLayerKinds, ...extra], [...builtinJunctionKinds, ...extraJunctions]);
}

export {
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
};
export { ACTIVATIONS, LOSSES, METRICS, isActivation, isLoss, isMetric } from './activations.js';
export type { Activation, Loss, Metric } from './activations.js';
export { defineLayerKind, LayerRegistry } from './kind.js';
export type { JsonSchema, LayerConfig, LayerIssue, LayerKind, LayerLowerings, Shape, ShapeResult } from './kind.js';
