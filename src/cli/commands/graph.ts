/**
 * `mtlc graph <spec> [--format mermaid|dot]`: a diagram of towers and junctions on stdout,
 * Mermaid (`flowchart TB`) or Graphviz dot. Towers are columns (subgraphs), layer nodes carry
 * their output shapes, junctions are nodes that the stitched towers' edges pass through, in the
 * IR's `order`. Every label is escaped; node ids are generated (n0, n1, ...).
 */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { validateSpecFile } from '../../api/validate.js';
import { crossStitch, junctionOptions } from '../../junctions/index.js';
import type { CheckedModel } from '../../model/ir.js';
import { hasErrors } from '../../spec/diagnostic.js';
import { formatReports } from '../format/index.js';
import { ExitCode, useColor } from '../io.js';
import { commandKinds } from '../config.js';
import type { RegisterCommand } from './index.js';

export const registerGraph: RegisterCommand = (program, io, setExit) => {
  program
    .command('graph')
    .description('draw towers (columns), layers with output shapes, and junctions of every kind')
    .argument('<spec>', 'the spec file')
    .addOption(new Option('-f, --format <format>', 'diagram language').choices(['mermaid', 'dot']).default('mermaid'))
    .action(async (spec: string, options: { format: GraphFormat }, command: Command) => {
      const result = validateSpecFile(resolve(io.cwd, spec), spec, (await commandKinds(command, io)).registry);
      if (!result.model || hasErrors(result.diagnostics)) {
        const text = result.text ?? result.document?.text;
        io.stderr(formatReports('pretty', [{ file: spec, ...(text !== undefined ? { text } : {}), diagnostics: result.diagnostics }], { color: useColor(io) }));
        setExit(result.diagnostics.some((d) => d.code === 'io-error') ? ExitCode.usage : ExitCode.invalid);
        return;
      }
      io.stdout(renderGraph(result.model, options.format));
      setExit(ExitCode.ok);
    });
};

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
