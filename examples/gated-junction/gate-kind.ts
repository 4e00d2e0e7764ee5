/**
 * The `gate` junction kind, a plugin: its schema fragment, checks, parameter count and label,
 * with the same interface as mtlc's built-in junction kinds (crossStitch, sluice, nddr), and its
 * TensorFlow.js lowering: the runtime layer ./gate-layer.ts. A spec picks it with `kind: gate` on
 * an entry of `crossStitch:`.
 *
 * Each stitched tower i blends in the mean of the other towers' activations with a learned gate:
 *
 *     x̃_i = (1 − g_i) · x_i + g_i · mean_{j≠i} x_j        (one scalar g_i per tower)
 */
import { fileURLToPath } from 'node:url';
import { defineJunctionKind } from 'mtlc';

const shape = (s: readonly number[]) => `[${s.join(', ')}]`;

export const gate = defineJunctionKind({
  kind: 'gate',
  description: "A gated junction: each stitched tower blends in the mean of the other towers' activations, weighted by a learned gate.",
  properties: {
    open: { type: 'number', minimum: 0, maximum: 1, default: 0.1, description: 'Initial gate g: how much of the other towers each tower takes in at the start (0: none).' },
    learningRateMultiplier: {
      type: 'number',
      exclusiveMinimum: 0,
      description: "Learning rate of the gates relative to the towers'. Default: training.crossStitchLearningRateMultiplier.",
    },
  },
  label: (options) => `gate (open ${String(options['open'])})`,
  check(config, { towers, shapes }) {
    const first = shapes[0]!;
    if (!shapes.every((s) => s.length === first.length && s.every((d, k) => d === first[k]))) {
      return {
        errors: [
          {
            code: 'junction-shape-mismatch',
            message: `a gate adds the towers' activations, so they need equal shapes, but they are ${towers.map((t, i) => `${t} ${shape(shapes[i]!)}`).join(', ')}`,
            hint: 'stitch after layers whose outputs have the same shape',
          },
        ],
      };
    }
    const open = (config['open'] as number | undefined) ?? 0.1;
    const multiplier = config['learningRateMultiplier'] as number | undefined;
    const trainable = (config['trainable'] as boolean | undefined) ?? true;
    return {
      options: { open, towers: [...towers], ...(multiplier !== undefined ? { learningRateMultiplier: multiplier } : {}) },
      params: towers.length,
      // A gate that starts shut and never learns joins nothing: say so (a warning, at `open`).
      warnings: open === 0 && !trainable ? [{ code: 'gate-never-opens', property: 'open', message: 'open: 0 with trainable: false keeps the towers apart: this junction does nothing' }] : [],
    };
  },
  lowerings: {
    // Relative to this file (a .js path may name the .ts beside it); generated code imports it.
    tfjs: { runtimeClass: { module: fileURLToPath(new URL('./gate-layer.js', import.meta.url)), exportName: 'Gate' } },
  },
});
