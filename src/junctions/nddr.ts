/**
 * nddr (Gao, Ma, Zhao, Liu, Yuille, CVPR 2019): the stitched activations are concatenated on the
 * channel axis; each tower takes a 1×1 convolution of that back to its own width, then batch
 * normalization. Widths may differ (leading axes must agree). Init [α_S·I, α_D·I]: in tower i's
 * weights, the block of tower j is self·I (j = i) or other/(N−1)·I, I the C_j × C_i rectangular
 * identity: channel k of tower j feeds channel k of tower i for k < min(C_j, C_i), the rest
 * starts at 0. The 1×1 weights have their own learning-rate multiplier and weight decay.
 * Runtime layer: `Nddr` (src/runtime/nddr.ts).
 */
import { convexRowWarning, DEFAULT_INIT } from './cross-stitch.js';
import { defineJunctionKind, type JunctionKind } from './kind.js';
import { describeShapes } from './util.js';

/** An NDDR junction's resolved options (the IR's `options`; what `Nddr` is built with). */
export type NddrOptions = {
  readonly init: { readonly self: number; readonly other: number };
  readonly batchNorm: boolean;
  /** Absent: the plan's `crossStitchLearningRateMultiplier`. */
  readonly learningRateMultiplier?: number;
  readonly weightDecay: number;
  /** The stitched tasks, again: the runtime layer labels its reported mix (the heat map) with them. */
  readonly towers: readonly string[];
};

export const nddr = defineJunctionKind<JunctionKind<NddrOptions>>({
  kind: 'nddr',
  description: 'An NDDR junction: the stitched activations are concatenated on the channel axis and each tower takes a 1×1 convolution of them back to its width, with batch normalization.',
  properties: {
    init: {
      type: 'object',
      description: 'Initial 1×1 weights [α_S·I, α_D·I]: self on the tower’s own channels, other/(N−1) on the matching channels of each other tower (rectangular identity when widths differ).',
      properties: {
        self: { type: 'number', minimum: 0, maximum: 1, default: 0.9, description: 'α_S: weight of a tower on its own channels.' },
        other: { type: 'number', minimum: 0, maximum: 1, default: 0.1, description: 'α_D: total weight on the other towers’ channels.' },
      },
      additionalProperties: false,
    },
    batchNorm: { type: 'boolean', default: true, description: 'Batch normalization after the 1×1 convolution (the paper’s NDDR layer). Data-parallel training (--workers) needs false.' },
    learningRateMultiplier: {
      type: 'number',
      exclusiveMinimum: 0,
      description: 'Learning rate of the 1×1 weights relative to the towers’. Default: training.crossStitchLearningRateMultiplier.',
    },
    weightDecay: { type: 'number', minimum: 0, default: 0, description: 'L2 weight decay of the 1×1 weights: weightDecay/2 · Σ w² is added to the loss.' },
  },
  label: (options) => `nddr${options.batchNorm ? ' + batchNorm' : ''}`,
  check(config, { towers, shapes }) {
    const first = shapes[0]!;
    if (!shapes.every((s) => s.length === first.length && s.slice(0, -1).every((d, k) => d === first[k]))) {
      return {
        errors: [
          {
            code: 'junction-shape-mismatch',
            message: `NDDR concatenates activations on their channel (last) axis, so all other axes must agree, but the stitched activations are ${describeShapes(towers, shapes)}`,
            hint: 'stitch after layers with the same spatial size',
          },
        ],
      };
    }
    const init = config['init'] as { self?: number; other?: number } | undefined;
    const self = init?.self ?? DEFAULT_INIT.self;
    const other = init?.other ?? DEFAULT_INIT.other;
    const batchNorm = (config['batchNorm'] as boolean | undefined) ?? true;
    const widths = shapes.map((s) => s[s.length - 1]!);
    const total = widths.reduce((a, b) => a + b, 0);
    const multiplier = config['learningRateMultiplier'] as number | undefined;
    return {
      options: {
        init: { self, other },
        batchNorm,
        ...(multiplier !== undefined ? { learningRateMultiplier: multiplier } : {}),
        weightDecay: (config['weightDecay'] as number | undefined) ?? 0,
        towers: [...towers],
      },
      // Per tower: the [ΣC, C_i] matrix, and γ, β, moving mean and variance with batch norm.
      params: widths.reduce((p, c) => p + total * c + (batchNorm ? 4 * c : 0), 0),
      warnings: convexRowWarning(self, other, towers.length),
    };
  },
});
