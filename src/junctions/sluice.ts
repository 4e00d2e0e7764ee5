/**
 * sluice (Ruder, Bingel, Augenstein, Søgaard, AAAI 2019): each stitched activation's channels are
 * split into `subspaces`; α [N·S, N·S] mixes every subspace of every tower; an orthogonality
 * penalty (weight `orthogonality`) keeps a task's subspaces apart. One subspace is a scalar
 * cross-stitch. The paper's β (a learned mix of several layers' outputs for each task's head) is
 * not part of the junction: it belongs to a task's head, which mtlc's spec does not offer yet.
 * Runtime layer: `Sluice` (src/runtime/sluice.ts).
 */
import { convexRowWarning, DEFAULT_INIT } from './cross-stitch.js';
import { defineJunctionKind, type JunctionKind } from './kind.js';
import { describeShapes } from './util.js';

/** A sluice junction's resolved options (the IR's `options`; what `Sluice` is built with). */
export type SluiceOptions = {
  readonly subspaces: number;
  readonly init: { readonly self: number; readonly other: number };
  readonly orthogonality: number;
  /** The stitched tasks, again: the runtime layer labels its reported mix (the heat map) with them. */
  readonly towers: readonly string[];
};

export const sluice = defineJunctionKind<JunctionKind<SluiceOptions>>({
  kind: 'sluice',
  description: 'A sluice junction: the stitched activations are split into subspaces along their channels, and every subspace of every tower gets a learned mix of all of them.',
  properties: {
    subspaces: { type: 'integer', minimum: 1, default: 2, description: 'Subspaces per task; must divide the channel (last) axis. 1 is a scalar cross-stitch.' },
    init: {
      type: 'object',
      description: 'Initial α: self on each subspace itself, other/(N−1) on the same subspace of each other tower, 0 between different subspaces.',
      properties: {
        self: { type: 'number', minimum: 0, maximum: 1, default: 0.9, description: 'α_S: weight of a subspace on itself.' },
        other: { type: 'number', minimum: 0, maximum: 1, default: 0.1, description: 'α_D: total weight on the same subspace of the other towers.' },
      },
      additionalProperties: false,
    },
    orthogonality: {
      type: 'number',
      minimum: 0,
      default: 0,
      description: 'Weight of the orthogonality penalty Σ ‖G_sᵀ G_t‖²_F / M² between a task’s subspaces (0: none).',
    },
  },
  label: (options) => `sluice (${options.subspaces} subspaces)`,
  check(config, { towers, shapes }) {
    const subspaces = (config['subspaces'] as number | undefined) ?? 2;
    const init = config['init'] as { self?: number; other?: number } | undefined;
    const self = init?.self ?? DEFAULT_INIT.self;
    const other = init?.other ?? DEFAULT_INIT.other;
    const first = shapes[0]!;
    if (!shapes.every((s) => s.length === first.length && s.every((d, k) => d === first[k]))) {
      return { errors: [{ code: 'junction-shape-mismatch', message: `a sluice mixes activations of equal shape, but the stitched activations are ${describeShapes(towers, shapes)}`, hint: 'stitch after layers whose outputs have the same shape' }] };
    }
    const channels = first[first.length - 1]!;
    if (channels % subspaces !== 0) {
      return { errors: [{ code: 'sluice-subspaces', property: 'subspaces', message: `${subspaces} subspaces do not divide the ${channels} channels of the stitched activations ${describeShapes(towers, shapes)}`, hint: `use a divisor of ${channels}, e.g. subspaces: ${[2, 1].find((d) => channels % d === 0)}` }] };
    }
    const d = towers.length * subspaces;
    return {
      options: { subspaces, init: { self, other }, orthogonality: (config['orthogonality'] as number | undefined) ?? 0, towers: [...towers] },
      params: d * d,
      warnings: convexRowWarning(self, other, towers.length),
    };
  },
});
