/**
 * The junctions' trainable parameters as the training loop sees them: which layers are
 * junctions, their α (own learning-rate group), α frozen to identity for --single-task, and the
 * learned values for the report.
 */
import * as tf from '@tensorflow/tfjs';
import type { BuiltModel, JunctionAlpha } from './types.js';

export const CROSS_STITCH_CLASS = 'CrossStitch';

export function isCrossStitchLayer(layer: tf.layers.Layer): boolean {
  return layer.getClassName() === CROSS_STITCH_CLASS;
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

/** --single-task: every α frozen to identity, so the task's tower sees only its own activations. */
export function freezeJunctionsToIdentity(model: tf.LayersModel): void {
  for (const layer of model.layers.filter(isCrossStitchLayer)) {
    const id = layer.getWeights().map((t) => identityLike(t.shape));
    layer.setWeights(id);
    tf.dispose(id);
    layer.trainable = false;
  }
}

/** The variables of trainable junctions (α): they get their own optimizer. */
export function junctionVariables(model: tf.LayersModel): tf.Variable[] {
  return model.layers
    .filter((layer) => isCrossStitchLayer(layer) && layer.trainable)
    .flatMap((layer) => layer.trainableWeights.map((w) => w.read() as tf.Variable));
}

/** The learned α per junction. */
export function readAlphas(built: BuiltModel): JunctionAlpha[] {
  const model = built.model;
  const out: JunctionAlpha[] = [];
  const junctions =
    built.junctions.length > 0
      ? built.junctions
      : model.layers.filter(isCrossStitchLayer).map((l) => ({ name: l.name, layerName: l.name, mode: ((l.getConfig() as { mode?: string }).mode ?? 'channel') as JunctionAlpha['mode'], towers: [] as string[] }));
  for (const j of junctions) {
    let layer: tf.layers.Layer;
    try {
      layer = model.getLayer(j.layerName);
    } catch {
      continue;
    }
    const w = layer.getWeights()[0];
    if (!w) continue;
    out.push({ name: j.name, layerName: j.layerName, mode: j.mode, towers: [...j.towers], shape: [...w.shape], values: w.arraySync() });
  }
  return out;
}
