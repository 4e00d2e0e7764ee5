/**
 * The order in which junctions run, and from it the order in which every layer and junction of a
 * model applies (the IR's `order`, which every target and `graph` read). In each tower a junction
 * sits after a layer; a junction placed deeper in a tower must run after the shallower ones of
 * that tower. Those constraints over all towers form a graph; a cycle (J1 before J2 in one tower,
 * after it in another) means no model can be built: `junction-order`.
 */
import type { ApplyStep, Junction, Tower } from './ir.js';

export type Placed = Pick<Junction, 'name' | 'index' | 'towers' | 'after' | 'pointer'>;

/** Edges "a runs before b", from consecutive depths within each tower. */
function edges<J extends Placed>(junctions: readonly J[]): Map<J, Set<J>> {
  const out = new Map<J, Set<J>>(junctions.map((j) => [j, new Set<J>()]));
  const towers = [...new Set(junctions.flatMap((j) => j.towers))];
  for (const task of towers) {
    const here = junctions.filter((j) => j.after[task] !== undefined);
    const depths = [...new Set(here.map((j) => j.after[task]!.index))].sort((a, b) => a - b);
    for (let k = 0; k + 1 < depths.length; k++) {
      const before = here.filter((j) => j.after[task]!.index === depths[k]);
      const after = here.filter((j) => j.after[task]!.index === depths[k + 1]);
      for (const a of before) for (const b of after) out.get(a)!.add(b);
    }
  }
  return out;
}

/**
 * A valid run order (ties broken by spec order), and the junctions left on cycles. `applyOrder`
 * places each junction of `order` once every stitched tower has reached its layer.
 */
export function scheduleJunctions<J extends Placed>(junctions: readonly J[]): { order: J[]; cyclic: J[] } {
  const graph = edges(junctions);
  const indegree = new Map<J, number>(junctions.map((j) => [j, 0]));
  for (const targets of graph.values()) for (const t of targets) indegree.set(t, indegree.get(t)! + 1);
  const order: J[] = [];
  const ready = junctions.filter((j) => indegree.get(j) === 0);
  while (ready.length > 0) {
    ready.sort((a, b) => a.index - b.index);
    const next = ready.shift()!;
    order.push(next);
    for (const t of graph.get(next)!) {
      indegree.set(t, indegree.get(t)! - 1);
      if (indegree.get(t) === 0) ready.push(t);
    }
  }
  return { order, cyclic: junctions.filter((j) => !order.includes(j)) };
}

export interface OrderProblem<J extends Placed = Placed> {
  junction: J;
  message: string;
}

/** One problem per junction on a cycle, naming the conflicting junction and towers when a pair explains it. */
export function junctionOrderProblems<J extends Placed>(junctions: readonly J[]): OrderProblem<J>[] {
  const { cyclic } = scheduleJunctions(junctions);
  return cyclic.map((j) => {
    for (const other of cyclic) {
      if (other === j) continue;
      const shared = j.towers.filter((t) => other.towers.includes(t));
      const first = shared.find((t) => j.after[t]!.index < other.after[t]!.index);
      const second = shared.find((t) => j.after[t]!.index > other.after[t]!.index);
      if (first !== undefined && second !== undefined) {
        return {
          junction: j,
          message:
            `junctions "${j.name}" and "${other.name}" are in opposite orders: in tower "${first}" ${j.name} (after ${j.after[first]!.layer}) comes before ${other.name} (after ${other.after[first]!.layer}), ` +
            `in tower "${second}" after it (${j.after[second]!.layer} is deeper than ${other.after[second]!.layer}); each would wait for the other`,
        };
      }
    }
    return {
      junction: j,
      message: `junction "${j.name}" is on a cycle with ${cyclic
        .filter((o) => o !== j)
        .map((o) => `"${o.name}"`)
        .join(', ')}: following the towers, each of them has to run before the next`,
    };
  });
}

/**
 * The order in which the model's layers and junctions apply: junctions in their run order, each
 * once every stitched tower has reached its layer, and a tower's remaining layers and its head
 * after the last junction. A layer a variant shares (`sharedFrom`) is applied once, by its owner
 * tower, whose output the sharing tower then takes (a `share` step). Junctions must be acyclic
 * (the checker refuses a spec whose junctions are not).
 */
export function applyOrder(towers: readonly Tower[], junctions: readonly Junction[]): ApplyStep[] {
  const steps: ApplyStep[] = [];
  const tasks = towers.map((t) => t.task);
  const position = towers.map(() => 0); // next layer index to apply, per tower
  const advance = (i: number, upTo: number): void => {
    const tower = towers[i]!;
    while (position[i]! <= upTo && position[i]! < tower.layers.length) {
      const node = tower.layers[position[i]!]!;
      if (node.sharedFrom) {
        const owner = tasks.indexOf(node.sharedFrom.task);
        advance(owner, node.index);
        if (position[i] === node.index) throw new Error(`layer ${node.layerName} shares ${node.sharedFrom.layerName}, which is not in tower ${node.sharedFrom.task}`);
        continue;
      }
      steps.push({ op: 'layer', tower: i, layer: node.index });
      position[i]!++;
      towers.forEach((other, j) => {
        if (other.layers[position[j]!]?.sharedFrom?.layerName === node.layerName) {
          steps.push({ op: 'share', tower: j, from: i, layer: position[j]! });
          position[j]!++;
        }
      });
    }
  };
  const { order, cyclic } = scheduleJunctions(junctions);
  if (cyclic.length > 0) throw new Error(`junctions ${cyclic.map((j) => j.name).join(', ')} have no run order`);
  for (const junction of order) {
    for (const task of junction.towers) advance(tasks.indexOf(task), junction.after[task]!.index);
    steps.push({ op: 'junction', junction: junctions.indexOf(junction) });
  }
  towers.forEach((tower, i) => {
    advance(i, tower.layers.length - 1);
    steps.push({ op: 'head', tower: i });
  });
  return steps;
}
