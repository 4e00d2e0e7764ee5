/**
 * Diagrams of a checked model: Mermaid (`flowchart TB`) or Graphviz dot. Towers are columns
 * (subgraphs), layer nodes carry their output shapes, junctions are nodes that the stitched
 * towers' edges pass through. Every label is escaped; node ids are generated (n0, n1, ...).
 */
import { crossStitch, junctionOptions } from '../junctions/index.js';
import type { CheckedModel } from '../model/ir.js';

export type GraphFormat = 'mermaid' | 'dot';

interface Node {
  id: string;
  label: string;
  tower?: number;
  junction?: boolean;
}

const shape = (s: readonly number[]) => `[${s.join('×')}]`;

function layout(model: CheckedModel): { nodes: Node[]; edges: [string, string][] } {
  const nodes: Node[] = [];
  const edges: [string, string][] = [];
  let n = 0;
  const add = (label: string, extra: Partial<Node> = {}) => {
    const node = { id: `n${n++}`, label, ...extra };
    nodes.push(node);
    return node.id;
  };
  const input = add(`${model.input.name}\n${shape(model.input.shape)}`);
  const tasks = model.towers.map((t) => t.task);
  const last = model.towers.map(() => input);
  for (const step of model.order) {
    switch (step.op) {
      case 'layer': {
        const layer = model.towers[step.tower]!.layers[step.layer]!;
        const id = add(`${layer.name}: ${layer.type}\n${shape(layer.outputShape)}`, { tower: step.tower });
        edges.push([last[step.tower]!, id]);
        last[step.tower] = id;
        break;
      }
      case 'share':
        last[step.tower] = last[step.from]!;
        break;
      case 'junction': {
        const j = model.junctions[step.junction]!;
        const indices = j.towers.map((t) => tasks.indexOf(t));
        const mode = junctionOptions(crossStitch, j)?.mode;
        const id = add(mode !== undefined ? `${j.name}: cross-stitch (${mode})` : `${j.name}: ${j.label}`, { junction: true });
        for (const i of indices) edges.push([last[i]!, id]);
        for (const i of indices) {
          const out = add(`${tasks[i]} after ${j.name}\n${shape(j.shapes[tasks[i]!] ?? [])}`, { tower: i });
          edges.push([id, out]);
          last[i] = out;
        }
        break;
      }
      case 'head': {
        const tower = model.towers[step.tower]!;
        const id = add(`${tower.task}: head\n${shape(tower.head.outputShape)}`, { tower: step.tower });
        edges.push([last[step.tower]!, id]);
        break;
      }
    }
  }
  return { nodes, edges };
}

const mermaidText = (s: string) =>
  `"${s.replace(/[&"<>#]/g, (c) => `#${c.codePointAt(0)};`).replace(/[\u0000-\u001f\u2028\u2029]/g, (c) => (c === '\n' ? '<br/>' : ' '))}"`;
const dotText = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/[\u0000-\u001f\u2028\u2029]/g, ' ')}"`;

export function renderGraph(model: CheckedModel, format: GraphFormat = 'mermaid'): string {
  const { nodes, edges } = layout(model);
  const out: string[] = [];
  if (format === 'mermaid') {
    out.push('flowchart TB');
    for (const node of nodes.filter((x) => x.tower === undefined)) {
      out.push(node.junction ? `  ${node.id}{{${mermaidText(node.label)}}}` : `  ${node.id}[${mermaidText(node.label)}]`);
    }
    model.towers.forEach((tower, i) => {
      out.push(`  subgraph t${i}[${mermaidText(tower.task)}]`, '    direction TB');
      for (const node of nodes.filter((x) => x.tower === i)) out.push(`    ${node.id}[${mermaidText(node.label)}]`);
      out.push('  end');
    });
    for (const [a, b] of edges) out.push(`  ${a} --> ${b}`);
  } else {
    out.push(`digraph ${dotText(model.name)} {`, '  rankdir=TB;', '  node [shape=box, fontname="Helvetica"];');
    for (const node of nodes.filter((x) => x.tower === undefined)) {
      out.push(`  ${node.id} [label=${dotText(node.label)}${node.junction ? ', shape=hexagon' : ''}];`);
    }
    model.towers.forEach((tower, i) => {
      out.push(`  subgraph cluster_t${i} {`, `    label=${dotText(tower.task)};`);
      for (const node of nodes.filter((x) => x.tower === i)) out.push(`    ${node.id} [label=${dotText(node.label)}];`);
      out.push('  }');
    });
    for (const [a, b] of edges) out.push(`  ${a} -> ${b};`);
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}
