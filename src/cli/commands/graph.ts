/** `mtlc graph <spec> [--format mermaid|dot]`: a diagram of towers and junctions on stdout. */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { validateSpecFile } from '../../api/validate.js';
import { renderGraph, type GraphFormat } from '../../codegen/graph.js';
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
