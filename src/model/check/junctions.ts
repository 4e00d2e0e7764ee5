/**
 * Junctions: names, the stitched towers and the layers they sit after, the activation shapes
 * each mode accepts, α's initialisation, and an order in which they can all run.
 */
import type { Shape } from '../../layers/kind.js';
import type { CrossStitchInit, CrossStitchMode } from '../../runtime/plan.js';
import { toPointer } from '../../spec/diagnostic.js';
import type { CrossStitch, MtlSpec } from '../../spec/spec-types.generated.js';
import { DEFAULT_INIT, defaultInit } from '../defaults.js';
import type { Junction } from '../ir.js';
import { IDENTIFIER, nameProblem, suggest } from '../names.js';
import { junctionOrderProblems, type Placed } from '../order.js';
import { fmt, own, plural, round, type Diagnostics } from './diagnostics.js';
import type { TowerDraft } from './towers.js';

export function checkJunctions(spec: MtlSpec, towers: readonly TowerDraft[], out: Diagnostics): Junction[] {
  const byTask = new Map(towers.map((t) => [t.task, t]));
  const taskOrder = towers.map((t) => t.task);
  const names = new Map<string, { index: number; generated: boolean }>();
  const junctions: Junction[] = [];
  /** Junctions whose positions are known, valid or not otherwise: their order is checked too. */
  const placed: Placed[] = [];

  (spec.crossStitch ?? []).forEach((j, index) => {
    const at = `/crossStitch/${index}`;
    let ok = true;
    const name = j.name ?? `stitch${index + 1}`;
    if (j.name !== undefined) {
      const problem = nameProblem(j.name, 'junction name', IDENTIFIER, 'an identifier (letters, digits and _, not starting with a digit)', 'invalid-junction-name');
      if (problem) {
        out.error(problem.code, `${at}/name`, problem.message, problem.hint);
        ok = false;
      }
    }
    const seen = names.get(name);
    if (seen) {
      const generated = j.name === undefined;
      out.error(
        'duplicate-junction-name',
        generated ? at : `${at}/name`,
        generated || seen.generated
          ? `junction name "${name}" is used twice (junction ${seen.index + 1}${seen.generated ? ' has it as its generated name' : ''})`
          : `junction ${seen.index + 1} is already named "${name}"`,
        'junction names must be unique; unnamed junctions are called stitch1, stitch2, ...',
      );
      ok = false;
    } else {
      names.set(name, { index, generated: j.name === undefined });
    }
    const mode: CrossStitchMode = j.mode ?? 'channel';

    // stitched towers: listed, the keys of `after`, or every tower
    const after = j.after;
    let stitched: string[];
    if (j.towers !== undefined) {
      stitched = [];
      j.towers.forEach((t, k) => {
        if (!byTask.has(t)) {
          out.error('unknown-tower', `${at}/towers/${k}`, `there is no tower ${JSON.stringify(t)}`, suggest(t, taskOrder, 'tower'));
          ok = false;
        } else {
          stitched.push(t);
        }
      });
    } else if (typeof after === 'object') {
      stitched = Object.keys(after).filter((t) => byTask.has(t));
    } else {
      stitched = [...taskOrder];
    }
    stitched.sort((a, b) => taskOrder.indexOf(a) - taskOrder.indexOf(b));
    // The schema asks for two towers when they are listed; by default every tower is stitched.
    if (j.towers === undefined && typeof after === 'string' && taskOrder.length < 2) {
      out.error(
        'junction-too-few-towers',
        at,
        `a cross-stitch junction mixes at least 2 towers; this one has ${plural(taskOrder.length, 'tower')}`,
        'add a second tower, or remove the junction',
      );
      ok = false;
    }

    // after: one name for every stitched tower, or one per tower
    const positions: Record<string, { layer: string; index: number }> = {};
    const found = (task: string, layer: string, pointer: string): void => {
      const tower = byTask.get(task)!;
      const li = tower.byName.get(layer);
      if (li === undefined) {
        out.error('unknown-layer', pointer, `tower "${task}" has no layer named "${layer}"`, suggest(layer, [...tower.byName.keys()], 'layer'));
        ok = false;
        return;
      }
      positions[task] = { layer, index: li };
    };
    if (typeof after === 'string') {
      const missing = stitched.filter((task) => !byTask.get(task)!.byName.has(after));
      if (missing.length > 0) {
        const names = [...new Set(missing.flatMap((t) => [...byTask.get(t)!.byName.keys()]))];
        out.error(
          'unknown-layer',
          `${at}/after`,
          `${missing.length === 1 ? 'tower' : 'towers'} ${missing.map((t) => `"${t}"`).join(', ')} ${missing.length === 1 ? 'has' : 'have'} no layer named "${after}"`,
          suggest(after, names, 'layer'),
        );
        ok = false;
      }
      for (const task of stitched) if (!missing.includes(task)) found(task, after, `${at}/after`);
    } else {
      for (const key of Object.keys(after)) {
        const p = toPointer(['crossStitch', index, 'after', key]);
        if (!byTask.has(key)) {
          out.keyError('unknown-tower', p, `there is no tower "${key}"`, suggest(key, taskOrder, 'tower'));
          ok = false;
        } else if (!stitched.includes(key)) {
          out.keyError('unstitched-tower', p, `after names tower "${key}", which this junction does not stitch (towers: ${stitched.join(', ')})`, `add ${key} to towers, or remove it from after`);
          ok = false;
        } else {
          found(key, after[key]!, p);
        }
      }
      const missing = stitched.filter((t) => own(after, t) === undefined);
      if (missing.length > 0) {
        out.error('missing-after', `${at}/after`, `after gives no layer for stitched ${missing.length === 1 ? 'tower' : 'towers'} ${missing.join(', ')}`, `add ${missing.map((t) => `${t}: <layer>`).join(', ')}`);
        ok = false;
      }
    }

    if (stitched.length >= 2 && stitched.every((t) => positions[t] !== undefined)) {
      placed.push({ name, index, towers: stitched, after: positions, pointer: at });
    }

    // shapes at the junction
    const shapes: Record<string, Shape> = {};
    let shapesKnown = ok;
    for (const task of stitched) {
      const pos = positions[task];
      const node = pos && byTask.get(task)!.nodes[pos.index];
      if (!node) shapesKnown = false;
      else shapes[task] = node.outputShape;
    }
    const n = stitched.length;
    let params = 0;
    if (shapesKnown) {
      const counted = crossStitchParams(mode, stitched, shapes, at, out);
      if (counted === undefined) ok = false;
      else params = counted;
    }

    const init = checkInit(j, at, mode, n, shapesKnown && ok ? stitched.map((t) => shapes[t]!) : undefined, out);
    if (ok && init) {
      junctions.push({
        name,
        layerName: `cross_stitch_${name}`,
        index,
        towers: stitched,
        after: positions,
        mode,
        init,
        trainable: j.trainable ?? true,
        shapes,
        params,
        pointer: at,
      });
    }
  });

  for (const problem of junctionOrderProblems(placed)) {
    out.error('junction-order', problem.junction.pointer, problem.message, 'junctions sharing towers must come in the same order in each of them');
  }
  return junctions;
}

/** The shapes a mode mixes, and its number of α weights; undefined after a diagnostic. */
function crossStitchParams(mode: CrossStitchMode, stitched: readonly string[], shapes: Record<string, Shape>, at: string, out: Diagnostics): number | undefined {
  const list = stitched.map((t) => shapes[t]!);
  const n = stitched.length;
  const described = stitched.map((t) => `${t} ${fmt(shapes[t]!)}`).join(', ');
  if (mode === 'unit') {
    if (list.some((s) => s.length !== 1)) {
      out.error(
        'junction-rank',
        `${at}/after`,
        `unit mode mixes flat activations [width], but the stitched activations are ${described}`,
        'stitch after a dense or flatten layer, or use mode: channel for feature maps',
      );
      return undefined;
    }
    const total = list.reduce((s, sh) => s + sh[0]!, 0);
    return total * total;
  }
  const first = list[0]!;
  if (!list.every((s) => s.length === first.length && s.every((d, k) => d === first[k]))) {
    out.error(
      'junction-shape-mismatch',
      `${at}/after`,
      `${mode} mode mixes activations of equal shape, but the stitched activations are ${described}`,
      list.every((s) => s.length === 1) ? 'use mode: unit, which mixes flat activations of different widths' : 'stitch after layers whose outputs have the same shape',
    );
    return undefined;
  }
  return mode === 'channel' ? n * n * first[first.length - 1]! : n * n;
}

/** The junction's α initialisation, with its shape checked (the schema checked its ranges). */
function checkInit(j: CrossStitch, at: string, mode: CrossStitchMode, n: number, shapes: Shape[] | undefined, out: Diagnostics): CrossStitchInit | undefined {
  const raw = j.init;
  if (raw === undefined) return defaultInit(mode);
  const p = `${at}/init`;
  if ('matrix' in raw) {
    const rows = raw.matrix as number[][];
    const size = rows.length;
    const ragged = rows.findIndex((r) => r.length !== size);
    if (ragged >= 0) {
      out.error('init-matrix-shape', `${p}/matrix/${ragged}`, `init.matrix must be square: row ${ragged + 1} has ${plural(rows[ragged]!.length, 'value')}, the matrix has ${plural(size, 'row')}`);
      return undefined;
    }
    if (mode === 'unit') {
      const total = shapes?.reduce((s, sh) => s + (sh[0] ?? 0), 0);
      if (size !== n && total !== undefined && size !== total) {
        out.error(
          'init-matrix-shape',
          `${p}/matrix`,
          `init.matrix is ${size}×${size}; unit mode over ${n} towers of widths ${shapes!.map((s) => s[0]).join(' + ')} needs ${n}×${n} (one weight per pair of towers) or ${total}×${total} (Σd×Σd)`,
        );
        return undefined;
      }
    } else if (size !== n && n >= 2) {
      out.error('init-matrix-shape', `${p}/matrix`, `init.matrix is ${size}×${size} but the junction stitches ${n} towers; ${mode} mode needs ${n}×${n}`);
      return undefined;
    }
    if (size === n) {
      rows.forEach((r, i) => {
        const sum = r.reduce((s, v) => s + v, 0);
        if (Math.abs(sum - 1) > 1e-6) {
          out.warn('init-row-sum', `${p}/matrix/${i}`, `row ${i + 1} of init.matrix sums to ${round(sum)}, not 1: the unit starts by scaling that tower's activation`);
        }
      });
    }
    return { matrix: rows.map((r) => [...r]) };
  }
  // Either weight may be left out: it takes the schema's default (self 0.9, other 0.1);
  // `init: {}` is the mode's default (the identity in unit mode).
  if (raw.self === undefined && raw.other === undefined) return defaultInit(mode);
  const self = raw.self ?? DEFAULT_INIT.self;
  const other = raw.other ?? DEFAULT_INIT.other;
  if (Math.abs(self + other - 1) > 1e-6) {
    const share = n > 2 ? ` (other is split across the ${n - 1} other towers: ${round(other / (n - 1))} each)` : '';
    out.warn('init-row-sum', p, `each row of α starts at self + other = ${round(self + other)}, not 1${share}`, `e.g. self: ${round(self)}, other: ${round(1 - self)}`);
  }
  return { self, other };
}
