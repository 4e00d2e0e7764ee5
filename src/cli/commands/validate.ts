/**
 * `mtlc validate <spec...> [--format pretty|json|github]`: parse, schema- and semantic-check each
 * spec and print every problem at once. Exit 0 when all are valid, 1 when any is invalid, 2 for a
 * usage or I/O error (a missing file, a directory); the highest applies.
 */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { validateSpecFile } from '../../api/validate.js';
import { hasErrors } from '../../spec/diagnostic.js';
import { formatReports, FORMATS, type FileReport, type Format } from '../format/index.js';
import { ExitCode, useColor, type CliIO } from '../io.js';
import type { LayerRegistry } from '../../layers/kind.js';
import { commandKinds } from '../config.js';
import type { RegisterCommand } from './index.js';

/** Validates the given files; returns what to print and the exit code. */
export function runValidate(files: readonly string[], format: Format, io: CliIO, registry?: LayerRegistry): { output: string; exitCode: number } {
  const reports: FileReport[] = [];
  let exitCode: number = ExitCode.ok;
  for (const file of files) {
    const result = validateSpecFile(resolve(io.cwd, file), file, registry);
    const ioError = result.diagnostics.some((d) => d.code === 'io-error');
    if (ioError) exitCode = Math.max(exitCode, ExitCode.usage);
    else if (hasErrors(result.diagnostics)) exitCode = Math.max(exitCode, ExitCode.invalid);
    const text = result.text ?? result.document?.text;
    reports.push({ file, ...(text !== undefined ? { text } : {}), diagnostics: result.diagnostics });
  }
  return { output: formatReports(format, reports, { color: useColor(io) }), exitCode };
}

export const registerValidate: RegisterCommand = (program, io, setExit) => {
  program
    .command('validate')
    .description('check specs: YAML, schema, names, junctions and shapes; report every problem with its location')
    .argument('<spec...>', 'spec files (YAML); use your shell for globs, e.g. specs/*.yaml')
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('pretty'))
    .addHelpText(
      'after',
      `
Exit codes: 0 all specs valid, 1 any spec invalid, 2 usage or I/O error (missing file, directory).
Formats: pretty (code frames, colours on a terminal unless NO_COLOR is set), json
({"diagnostics":[{file,line,column,endLine,endColumn,severity,code,message,path,hint?}]}),
github (workflow annotations for GitHub Actions).

Examples:
  mtlc validate specs/*.yaml
  mtlc validate specs/face.yaml --format json`,
    )
    .action(async (specs: string[], options: { format: Format }, command: Command) => {
      const { registry } = await commandKinds(command, io);
      const { output, exitCode } = runValidate(specs, options.format, io, registry);
      io.stdout(output);
      setExit(exitCode);
    });
};
