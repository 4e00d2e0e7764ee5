/**
 * The junctions' parameters as the training loop sees them, found through the junction-layer
 * contract (src/runtime/junction.ts), whatever the kind: their optimizer groups, --single-task
 * isolation, --init-from (never copied), data-parallel obstacles and the learned mixes for the
 * report.
 */
import * as tf from '@tensorflow/tfjs';
import { isJunctionLayer, type JunctionLayer } from '../junction.js';
import type { BuiltModel, JunctionAlpha } from './types.js';
import type { WorkersObstacle } from './data-parallel.js';

/** @deprecated the loop finds junctions by `isJunctionLayer`; kept for code that checks the class. */
export const CROSS_STITCH_CLASS = 'CrossStitch';

export { isJunctionLayer };

/** Whether a layer is a junction (any kind). */
export function isCrossStitchLayer(layer: tf.layers.Layer): boolean {
  return isJunctionLayer(layer);
}

export function junctionLayers(model: tf.LayersModel): (tf.layers.Layer & JunctionLayer)[] {
  return model.layers.filter(isJunctionLayer);
}

/** α as identity: [N,N] eye, [N,N,C] eye per channel, [D,D] eye (unit mode). */
export function identityLike(shape: readonly number[]): tf.Tensor {
  return tf.tidy(() => {
    const n = shape[0]!;
    const eye = tf.eye(n);
    if (shape.length === 2) return eye;
    return tf.tile(tf.reshape(eye, [n, n, 1]), [1, 1, shape[2]!]);
  });
}

/** --single-task: every junction isolates its towers (each sees only itself) and stops learning. */
export function freezeJunctionsToIdentity(model: tf.LayersModel): void {
  for (const layer of junctionLayers(model)) layer.isolate();
}

/**
 * The junction parameters by optimizer group: `alpha` at the plan's multiplier, and one group
 * per other multiplier a kind declares (`junction-x<multiplier>`).
 */
export function junctionGroups(model: tf.LayersModel, defaultMultiplier: number): { name: string; multiplier: number; variables: tf.Variable[] }[] {
  const groups = new Map<string, { name: string; multiplier: number; variables: tf.Variable[] }>();
  for (const layer of junctionLayers(model)) {
    if (!layer.trainable) continue;
    for (const p of layer.junctionParameters()) {
      const name = p.learningRateMultiplier === undefined ? 'alpha' : `junction-x${p.learningRateMultiplier}`;
      const group = groups.get(name) ?? { name, multiplier: p.learningRateMultiplier ?? defaultMultiplier, variables: [] };
      group.variables.push(p.variable.read() as tf.Variable);
      groups.set(name, group);
    }
  }
  return [...groups.values()];
}

/** Junctions whose math data-parallel training would change (batch statistics); the kind says why and what to set. */
export function junctionObstacles(model: tf.LayersModel): WorkersObstacle[] {
  return junctionLayers(model).flatMap((l) => {
    const obstacle = l.dataParallelObstacle?.();
    if (!obstacle) return [];
    return [typeof obstacle === 'string' ? { layerName: l.name, why: obstacle } : { layerName: l.name, ...obstacle }];
  });
}

/** The learned mix per junction, as the report draws it. */
export function readAlphas(built: BuiltModel): JunctionAlpha[] {
  const model = built.model;
  const byLayer = new Map(built.junctions.map((j) => [j.layerName, j]));
  const out: JunctionAlpha[] = [];
  for (const layer of junctionLayers(model)) {
    const info = byLayer.get(layer.name);
    if (built.junctions.length > 0 && !info) continue;
    let mix;
    try {
      mix = layer.reportedMix();
    } catch {
      continue;
    }
    const values = mix.values;
    const shape = mix.mode === 'channel' ? [values.length, values[0]!.length, (values as number[][][])[0]![0]!.length] : [values.length, values[0]!.length];
    // Unit mode: each tower's width, so a report can mark where a tower's units start.
    const inputs = mix.mode === 'unit' ? ([] as tf.SymbolicTensor[]).concat(layer.input as tf.SymbolicTensor | tf.SymbolicTensor[]) : [];
    const widths = inputs.map((t) => t.shape[t.shape.length - 1]);
    out.push({
      name: info?.name ?? layer.name,
      layerName: layer.name,
      kind: layer.junctionKind,
      mode: mix.mode,
      towers: mix.labels ? [...mix.labels] : [...(info?.towers ?? [])],
      shape,
      values,
      ...(widths.length > 0 && widths.every((d): d is number => typeof d === 'number') ? { widths } : {}),
      ...(mix.cell ? { cell: mix.cell } : {}),
    });
  }
  // Spec order, as before.
  const order = new Map(built.junctions.map((j, i) => [j.layerName, i]));
  return out.sort((a, b) => (order.get(a.layerName) ?? 0) - (order.get(b.layerName) ?? 0));
}
