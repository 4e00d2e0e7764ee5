/**
 * The command line: parses arguments with commander and dispatches to one module per command
 * (src/cli/commands/). Commands are thin: they call the library and print.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { CliError, describeFsError, ExitCode, processIO, type CliIO } from './io.js';
import { commands } from './commands/index.js';
import { addConfigOptions } from './config.js';
import { RunFileError } from '../runtime/train/run-files.js';

const { version } = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string };

/** Run the CLI with `argv` (no `node`/script prefix); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const program = new Command('mtlc')
    .description('Compile multi-task network specs with cross-stitch units into TensorFlow.js code')
    .version(version, '-v, --version')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showSuggestionAfterError(true);
  addConfigOptions(program);
  for (const register of commands) {
    register(program, io, (code) => {
      exitCode = Math.max(exitCode, code);
    });
  }
  program.commands.forEach((c) => c.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr }));
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return ExitCode.usage;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (error instanceof CliError) {
      io.stderr(`error: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof RunFileError) {
      io.stderr(`error: ${error.message}\n`);
      return ExitCode.usage;
    }
    const fsProblem = describeFsError(error);
    if (fsProblem) {
      io.stderr(`error: ${fsProblem}\n`);
      return ExitCode.usage;
    }
    io.stderr(`error: internal error (a bug; please report it with the spec): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 70;
  }
}
