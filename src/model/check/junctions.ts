/**
 * Junctions: names, the stitched towers and the layers they sit after, the activation shapes
 * there, then the kind's own checks (src/junctions/: the shapes it accepts, its options and
 * their defaults, its parameter count), and an order in which they can all run.
 */
import type { JunctionConfig, JunctionInput, JunctionIssue, JunctionKind, JunctionResult } from '../../junctions/kind.js';
import type { LayerRegistry, Shape } from '../../layers/kind.js';
import { toPointer } from '../../spec/diagnostic.js';
import type { MtlSpec } from '../../spec/spec-types.generated.js';
import type { Junction } from '../ir.js';
import { IDENTIFIER, nameProblem, suggest } from '../names.js';
import { junctionOrderProblems, type Placed } from '../order.js';
import { own, plural, type Diagnostics } from './diagnostics.js';
import { MAX_TENSOR_VALUES, type TowerDraft } from './towers.js';

export function checkJunctions(spec: MtlSpec, towers: readonly TowerDraft[], registry: LayerRegistry, out: Diagnostics): Junction[] {
  const byTask = new Map(towers.map((t) => [t.task, t]));
  const taskOrder = towers.map((t) => t.task);
  const names = new Map<string, { index: number; generated: boolean }>();
  const junctions: Junction[] = [];
  /** Junctions whose positions are known, valid or not otherwise: their order is checked too. */
  const placed: Placed[] = [];

  (spec.crossStitch ?? []).forEach((j, index) => {
    // Plugin kinds' options are not in the generated types: read through the kind contract.
    const entry = j as unknown as JunctionConfig;
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
        `a junction mixes at least 2 towers; this one has ${plural(taskOrder.length, 'tower')}`,
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

    // shapes at the junction, then the kind's own checks
    const shapes: Record<string, Shape> = {};
    let shapesKnown = ok;
    for (const task of stitched) {
      const pos = positions[task];
      const node = pos && byTask.get(task)!.nodes[pos.index];
      if (!node) shapesKnown = false;
      else shapes[task] = node.outputShape;
    }
    if (!shapesKnown || !ok) return;
    // The schema admits only registered kinds.
    const kind = registry.junction((entry.kind as string | undefined) ?? registry.junctionKinds()[0]!.kind)!;
    const result = runKind(kind, entry, { towers: stitched, shapes: stitched.map((t) => shapes[t]!) }, at, out);
    if (!result) return;
    if (result.params > MAX_TENSOR_VALUES) {
      out.error(
        'too-large',
        at,
        `junction "${name}" (${kind.label(result.options)}) is too large to build: ${result.params.toLocaleString('en-US')} parameters; a tensor holds at most ${MAX_TENSOR_VALUES.toLocaleString('en-US')} values`,
        'a unit junction has (sum of the widths)² weights: stitch narrower layers, or use channel or scalar mode',
      );
      return;
    }
    junctions.push({
      name,
      kind: kind.kind,
      options: result.options,
      label: kind.label(result.options),
      layerName: `cross_stitch_${name}`,
      index,
      towers: stitched,
      after: positions,
      trainable: (entry['trainable'] as boolean | undefined) ?? true,
      shapes,
      params: result.params,
      pointer: at,
    });
  });

  for (const problem of junctionOrderProblems(placed)) {
    out.error('junction-order', problem.junction.pointer, problem.message, 'junctions sharing towers must come in the same order in each of them');
  }
  return junctions;
}

/** A kind's checks; its issues become diagnostics at the junction (its `after`, or the named property). */
function runKind(kind: JunctionKind, config: JunctionConfig, input: JunctionInput, at: string, out: Diagnostics): JunctionResult | undefined {
  const where = (issue: JunctionIssue) => `${at}/${issue.property ?? 'after'}`;
  try {
    const result = kind.check(config, input);
    if ('errors' in result) {
      for (const e of result.errors) out.error(e.code, where(e), e.message, e.hint);
      return undefined;
    }
    for (const w of result.warnings ?? []) out.warn(w.code, where(w), w.message, w.hint);
    return result;
  } catch (error) {
    out.error(
      'junction-kind-failed',
      at,
      `the ${kind.kind} junction kind failed: ${error instanceof Error ? error.message : String(error)}`,
      'a junction kind should report problems as { errors }, not throw; report this to its author',
    );
    return undefined;
  }
}
