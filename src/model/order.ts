/**
 * The order in which junctions run. In each tower a junction sits after a layer; a junction
 * placed deeper in a tower must run after the shallower ones of that tower. Those constraints
 * over all towers form a graph; a cycle (J1 before J2 in one tower, after it in another) means
 * no model can be built: `junction-order`.
 */
import type { Junction } from './ir.js';

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
 * A valid run order (ties broken by spec order), and the junctions left on cycles.
 * Codegen applies junctions in `order`: each one once every stitched tower has reached its layer.
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
