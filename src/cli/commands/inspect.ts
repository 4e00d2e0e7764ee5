/**
 * `mtlc inspect <spec> [--format pretty|json]`: per tower a table of layers (type, output shape,
 * parameters), the junctions with their towers, mode and shapes, and the totals. Exit 0 for a
 * valid spec, 1 for an invalid one (its diagnostics are printed with the validate formatters),
 * 2 for usage or I/O errors. `--weights <run-dir>` prints a run's learned α instead (the same
 * as `mtlc weights`). Checking goes through `validateSpecFile` (load → schema → model).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import pc from 'picocolors';
import { validateSpecFile } from '../../api/validate.js';
import { crossStitch, junctionOptions } from '../../junctions/index.js';
import type { Shape } from '../../layers/kind.js';
import type { CheckedModel } from '../../model/ir.js';
import { formatJson, formatPretty, type FileReport } from '../format/index.js';
import { printable } from '../format/pretty.js';
import { CliError, ExitCode, useColor } from '../io.js';
import { commandKinds } from '../config.js';
import type { RegisterCommand } from './index.js';
import { printRunWeights } from './report.js';

type Colors = ReturnType<typeof pc.createColors>;

const shape = (s: Shape): string => `[${s.join(', ')}]`;
const count = (n: number): string => n.toLocaleString('en-US');

/** Totals of a checked model: tower weights (layers and heads), α weights, and their sum. */
export function modelTotals(model: CheckedModel): { towers: number; junctions: number; total: number } {
  const towers = model.towers.reduce((s, t) => s + t.layers.reduce((a, l) => a + l.params, 0) + t.head.params, 0);
  const junctions = model.junctions.reduce((s, j) => s + j.params, 0);
  return { towers, junctions, total: towers + junctions };
}

/** The JSON form of `inspect`: plain data, stable key order. */
export function inspectJson(model: CheckedModel) {
  return {
    file: model.specFile,
    name: model.name,
    ...(model.description ? { description: model.description } : {}),
    input: { name: model.input.name, shape: [...model.input.shape] },
    towers: model.towers.map((t) => ({
      task: t.task,
      loss: t.loss,
      lossWeight: t.lossWeight,
      metrics: [...t.metrics],
      layers: [...t.layers, t.head].map((l) => ({
        name: l.name,
        type: l.type,
        layerName: l.layerName,
        head: l === t.head,
        inputShape: [...l.inputShape],
        outputShape: [...l.outputShape],
        params: l.params,
      })),
      params: t.layers.reduce((a, l) => a + l.params, 0) + t.head.params,
    })),
    junctions: model.junctions.map((j) => {
      // A crossStitch junction's mode and init also at top level, as before junction kinds.
      const stitch = junctionOptions(crossStitch, j);
      return {
        name: j.name,
        layerName: j.layerName,
        kind: j.kind,
        // What the pretty table's kind column says ("nddr + batchNorm", "sluice (3 subspaces)").
        label: j.label,
        mode: stitch?.mode,
        options: j.options,
        towers: [...j.towers],
        after: Object.fromEntries(j.towers.map((t) => [t, j.after[t]!.layer])),
        shapes: Object.fromEntries(j.towers.map((t) => [t, [...j.shapes[t]!]])),
        init: stitch?.init,
        trainable: j.trainable,
        params: j.params,
      };
    }),
    totals: modelTotals(model),
  };
}

/** Left-aligned text columns, right-aligned numbers; `rule` rows draw a line. */
function table(rows: (string[] | 'rule')[], numeric: ReadonlySet<number>, indent = '  '): string[] {
  const cells = rows.filter((r): r is string[] => r !== 'rule');
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const total = widths.reduce((s, w) => s + w, 0) + 2 * (widths.length - 1);
  return rows.map((r) =>
    r === 'rule'
      ? indent + '─'.repeat(total)
      : indent +
        r
          .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : i === r.length - 1 ? c : c.padEnd(widths[i]!)))
          .join('  ')
          .trimEnd(),
  );
}

/** The human form of `inspect`. */
export function renderInspect(model: CheckedModel, c: Colors = pc.createColors(false)): string {
  const out: string[] = [];
  out.push(`${c.bold(model.name)}  ${c.dim(model.specFile)}`);
  // A spec's own text: its control characters are shown escaped, never sent to the terminal.
  if (model.description) out.push(c.dim(printable(model.description)));
  out.push(`input ${model.input.name} ${shape(model.input.shape)}`);
  for (const tower of model.towers) {
    out.push('');
    const metrics = tower.metrics.length > 0 ? `, metrics: ${tower.metrics.join(', ')}` : '';
    out.push(`${c.bold(`tower ${tower.task}`)}  ${c.dim(`loss ${tower.loss}, weight ${tower.lossWeight}${metrics}`)}`);
    const rows: (string[] | 'rule')[] = [['layer', 'type', 'output shape', 'params']];
    let sum = 0;
    for (const layer of tower.layers) {
      rows.push([layer.name, layer.type, shape(layer.outputShape), count(layer.params)]);
      sum += layer.params;
      for (const j of model.junctions) {
        if (j.after[tower.task]?.index === layer.index) rows.push([`↔ ${j.name}`, j.label, shape(layer.outputShape), '']);
      }
    }
    rows.push([`${tower.task} (head)`, tower.head.type, shape(tower.head.outputShape), count(tower.head.params)]);
    sum += tower.head.params;
    rows.push('rule');
    rows.push(['total', '', '', count(sum)]);
    const lines = table(rows, new Set([3]));
    out.push(c.dim(lines[0]!), ...lines.slice(1));
  }
  if (model.junctions.length > 0) {
    out.push('', c.bold('junctions'));
    const rows: (string[] | 'rule')[] = [['name', 'kind', 'towers', 'after', 'shapes', 'params']];
    for (const j of model.junctions) {
      const after = j.towers.map((t) => j.after[t]!.layer);
      const shapes = j.towers.map((t) => shape(j.shapes[t]!));
      rows.push([
        j.name,
        j.label,
        j.towers.join(', '),
        new Set(after).size === 1 ? after[0]! : j.towers.map((t, i) => `${t}: ${after[i]}`).join(', '),
        new Set(shapes).size === 1 ? shapes[0]! : j.towers.map((t, i) => `${t} ${shapes[i]}`).join(', '),
        count(j.params),
      ]);
    }
    const lines = table(rows, new Set([5]));
    out.push(c.dim(lines[0]!), ...lines.slice(1));
  }
  const totals = modelTotals(model);
  out.push('', c.bold('parameters'));
  out.push(
    ...table(
      [
        ['towers and heads', count(totals.towers)],
        // Every kind's parameters: NDDR's are 1×1 weights and batch norm, not α.
        ['junctions', count(totals.junctions)],
        'rule',
        ['total', count(totals.total)],
      ],
      new Set([1]),
    ),
  );
  return `${out.join('\n')}\n`;
}

export const registerInspect: RegisterCommand = (program, io, setExit) => {
  program
    .command('inspect')
    .description('show per tower the layers, output shapes and parameters; junctions with their shapes; totals')
    .argument('[spec]', 'the spec file (YAML)')
    .option('-f, --format <format>', 'pretty or json', 'pretty')
    .option('--weights <run-dir>', 'instead of a spec: print the learned α of a training run (same as mtlc weights)')
    .action(async (spec: string | undefined, options: { format: string; weights?: string }, command: Command) => {
      if (options.format !== 'pretty' && options.format !== 'json') {
        throw new CliError(`unknown format "${options.format}" for inspect; use pretty or json`, ExitCode.usage);
      }
      if (options.weights !== undefined) {
        if (spec !== undefined) throw new CliError('inspect takes a spec or --weights <run-dir>, not both', ExitCode.usage);
        await printRunWeights(io, options.weights, options.format);
        setExit(ExitCode.ok);
        return;
      }
      if (spec === undefined) throw new CliError('inspect needs a spec file (or --weights <run-dir>)', ExitCode.usage);
      // Diagnostics and the header name the file as the user wrote it.
      const result = validateSpecFile(resolve(io.cwd, spec), spec, (await commandKinds(command, io)).registry);
      const ioError = result.diagnostics.find((d) => d.code === 'io-error');
      if (ioError) throw new CliError(ioError.message, ExitCode.usage);
      const { model, diagnostics } = result;
      const text = result.text ?? result.document?.text;
      const report: FileReport = { file: spec, ...(text !== undefined ? { text } : {}), diagnostics };
      if (options.format === 'json') {
        const { diagnostics: plain } = JSON.parse(formatJson([report])) as { diagnostics: unknown[] };
        io.stdout(`${JSON.stringify(model ? { ...inspectJson(model), diagnostics: plain } : { diagnostics: plain }, null, 2)}\n`);
      } else {
        const color = useColor(io);
        if (diagnostics.length > 0) io.stderr(formatPretty([report], { color }));
        if (model) io.stdout(renderInspect(model, pc.createColors(color)));
      }
      setExit(model ? ExitCode.ok : ExitCode.invalid);
    });
};
