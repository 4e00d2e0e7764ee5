/**
 * crossStitch (Misra et al., CVPR 2016), the default kind: x̃_i = Σ_j α_ij · x_j.
 * channel: α [N,N,C] (equal shapes); scalar: α [N,N] (equal shapes); unit: flat activations of
 * any widths, concatenated and mixed by one (Σd)×(Σd) matrix. Runtime layer: `CrossStitch`.
 */
import type { CrossStitchInit, CrossStitchMode } from '../runtime/plan.js';
import { CROSS_STITCH_MODES } from '../spec/schema.js';
import { defineJunctionKind, type JunctionIssue, type JunctionKind } from './kind.js';
import { describeShapes, plural, round } from './util.js';

/** Paper default for channel and scalar units: convex rows, 0.9 on the diagonal. */
export const DEFAULT_INIT = { self: 0.9, other: 0.1 } as const satisfies CrossStitchInit;
/** Unit mode starts from the identity (the Keras layer this project started from). */
export const DEFAULT_UNIT_INIT: CrossStitchInit = { self: 1, other: 0 };
export const defaultInit = (mode: CrossStitchMode): CrossStitchInit => (mode === 'unit' ? DEFAULT_UNIT_INIT : DEFAULT_INIT);

/** A crossStitch junction's resolved options (the IR's `options`; what `CrossStitch` is built with). */
export type CrossStitchOptions = { readonly mode: CrossStitchMode; readonly init: CrossStitchInit };

export const crossStitch = defineJunctionKind<JunctionKind<CrossStitchOptions>>({
  kind: 'crossStitch',
  description: 'A cross-stitch junction: after the given layers, each stitched tower gets a learned mix of all stitched activations.',
  properties: {
    mode: {
      type: 'string',
      enum: [...CROSS_STITCH_MODES],
      default: 'channel',
      description:
        'channel: one α matrix per channel (the paper); scalar: one N×N matrix for the layer; unit: rank-2 activations concatenated and mixed by one (Σd)×(Σd) matrix.',
    },
    init: { $ref: '#/$defs/CrossStitchInit', description: 'Initial α: { self, other } (default 0.9 / 0.1; unit mode: identity) or { matrix }.' },
  },
  label: (options) => `crossStitch (${options.mode})`,
  check(config, { towers, shapes }) {
    const mode = (config['mode'] as CrossStitchMode | undefined) ?? 'channel';
    const n = towers.length;
    const described = describeShapes(towers, shapes);
    let params: number;
    if (mode === 'unit') {
      if (shapes.some((s) => s.length !== 1)) {
        return { errors: [{ code: 'junction-rank', message: `unit mode mixes flat activations [width], but the stitched activations are ${described}`, hint: 'stitch after a dense or flatten layer, or use mode: channel for feature maps' }] };
      }
      const total = shapes.reduce((s, sh) => s + sh[0]!, 0);
      params = total * total;
    } else {
      const first = shapes[0]!;
      if (!shapes.every((s) => s.length === first.length && s.every((d, k) => d === first[k]))) {
        return {
          errors: [
            {
              code: 'junction-shape-mismatch',
              message: `${mode} mode mixes activations of equal shape, but the stitched activations are ${described}`,
              hint: shapes.every((s) => s.length === 1) ? 'use mode: unit, which mixes flat activations of different widths' : 'stitch after layers whose outputs have the same shape',
            },
          ],
        };
      }
      params = mode === 'channel' ? n * n * first[first.length - 1]! : n * n;
    }
    const warnings: JunctionIssue[] = [];
    const init = checkInit(config['init'] as CrossStitchInit | undefined, mode, n, shapes, warnings);
    if ('errors' in init) return init;
    return { options: { mode, init: init.init }, params, warnings };
  },
});

/** α's initialisation, with its shape checked (the schema checked its ranges). */
function checkInit(raw: CrossStitchInit | undefined, mode: CrossStitchMode, n: number, shapes: readonly (readonly number[])[], warnings: JunctionIssue[]): { init: CrossStitchInit } | { errors: JunctionIssue[] } {
  if (raw === undefined) return { init: defaultInit(mode) };
  if ('matrix' in raw) {
    const rows = raw.matrix.map((r) => [...r]);
    const size = rows.length;
    const ragged = rows.findIndex((r) => r.length !== size);
    if (ragged >= 0) {
      return { errors: [{ code: 'init-matrix-shape', property: `init/matrix/${ragged}`, message: `init.matrix must be square: row ${ragged + 1} has ${plural(rows[ragged]!.length, 'value')}, the matrix has ${plural(size, 'row')}` }] };
    }
    if (mode === 'unit') {
      const total = shapes.reduce((s, sh) => s + (sh[0] ?? 0), 0);
      if (size !== n && size !== total) {
        return {
          errors: [
            {
              code: 'init-matrix-shape',
              property: 'init/matrix',
              message: `init.matrix is ${size}×${size}; unit mode over ${n} towers of widths ${shapes.map((s) => s[0]).join(' + ')} needs ${n}×${n} (one weight per pair of towers) or ${total}×${total} (Σd×Σd)`,
            },
          ],
        };
      }
    } else if (size !== n) {
      return { errors: [{ code: 'init-matrix-shape', property: 'init/matrix', message: `init.matrix is ${size}×${size} but the junction stitches ${n} towers; ${mode} mode needs ${n}×${n}` }] };
    }
    if (size === n) {
      rows.forEach((r, i) => {
        const sum = r.reduce((s, v) => s + v, 0);
        if (Math.abs(sum - 1) > 1e-6) warnings.push({ code: 'init-row-sum', property: `init/matrix/${i}`, message: `row ${i + 1} of init.matrix sums to ${round(sum)}, not 1: the unit starts by scaling that tower's activation` });
      });
    }
    return { init: { matrix: rows } };
  }
  // Either weight may be left out: it takes the schema's default (self 0.9, other 0.1);
  // `init: {}` is the mode's default (the identity in unit mode).
  if (raw.self === undefined && raw.other === undefined) return { init: defaultInit(mode) };
  const self = raw.self ?? DEFAULT_INIT.self;
  const other = raw.other ?? DEFAULT_INIT.other;
  warnings.push(...convexRowWarning(self, other, n));
  return { init: { self, other } };
}

/** Rows of α that do not start as convex combinations: a warning at `init`. */
export function convexRowWarning(self: number, other: number, n: number): JunctionIssue[] {
  if (Math.abs(self + other - 1) <= 1e-6) return [];
  const share = n > 2 ? ` (other is split across the ${n - 1} other towers: ${round(other / (n - 1))} each)` : '';
  return [{ code: 'init-row-sum', property: 'init', message: `each row of α starts at self + other = ${round(self + other)}, not 1${share}`, hint: `e.g. self: ${round(self)}, other: ${round(1 - self)}` }];
}
