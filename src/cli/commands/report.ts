/**
 * `mtlc report <run-dir> [--out FILE]`: an HTML page of SVG plots (vega-lite) of a training run:
 * per-task loss and metric curves, α heat maps. `mtlc weights <run-dir>`: the learned α per
 * junction as a table (from the run's alphas.json; in place of `inspect --weights`).
 */
import * as path from 'node:path';
import { CliError, ExitCode, type CliIO } from '../io.js';
import type { RegisterCommand } from './index.js';

export const registerReport: RegisterCommand = (program, io, setExit) => {
  program
    .command('report')
    .description('write an HTML report (loss/metric curves, α heat maps) for a training run')
    .argument('<run-dir>', 'a run directory written by mtlc train')
    .option('--out <file>', 'where to write the page (default <run-dir>/report.html)')
    .action(async (runDir: string, opts: { out?: string }) => {
      const { writeReport, ReportError } = await import('../../runtime/report/index.js');
      try {
        const file = await writeReport(path.resolve(io.cwd, runDir), opts.out ? path.resolve(io.cwd, opts.out) : undefined);
        io.stdout(`report: ${path.relative(io.cwd, file) || file}\n`);
        setExit(ExitCode.ok);
      } catch (e) {
        if (e instanceof ReportError) throw new CliError(e.message, ExitCode.usage);
        throw e;
      }
    });
};

/**
 * Prints the learned α of a run: its alphas.json when it finished, else its last checkpoint's (a
 * killed or running run); shared by `weights` and `inspect --weights`.
 */
export async function printRunWeights(io: CliIO, runDir: string, format: string): Promise<void> {
  if (format !== 'pretty' && format !== 'json') throw new CliError(`--format: expected pretty or json, got '${format}'`, ExitCode.usage);
  const dir = path.resolve(io.cwd, runDir);
  const { readRunAlphas, ALPHAS_FILE } = await import('../../runtime/train/run-files.js');
  const run = await readRunAlphas(dir);
  if (!run) {
    throw new CliError(`${path.join(dir, ALPHAS_FILE)}: not found, and no checkpoint either; is ${runDir} a run directory (written by mtlc train --out)?`, ExitCode.usage);
  }
  if (format === 'json') io.stdout(`${JSON.stringify(run.alphas)}\n`);
  else {
    const { formatAlphas } = await import('../../runtime/train/format.js');
    if (run.from === 'checkpoint') io.stdout(`(the run has not finished: α of its last checkpoint)\n`);
    if (run.alphas.length > 0 || !run.undecoded) io.stdout(run.alphas.length > 0 ? `${formatAlphas(run.alphas)}\n` : 'no cross-stitch junctions\n');
    if (run.undecoded) io.stdout(`(this checkpoint does not record the mix of junction${run.undecoded.length === 1 ? '' : 's'} ${run.undecoded.join(', ')}, only a cross-stitch α can be read from its weights; the run's alphas.json will have ${run.undecoded.length === 1 ? 'it' : 'them'} when it finishes)\n`);
  }
}

export const registerWeights: RegisterCommand = (program, io, setExit) => {
  program
    .command('weights')
    .description('print the learned α per junction of a training run as a table')
    .argument('<run-dir>', 'a run directory written by mtlc train')
    .option('--format <format>', 'pretty | json', 'pretty')
    .action(async (runDir: string, opts: { format: string }) => {
      await printRunWeights(io, runDir, opts.format);
      setExit(ExitCode.ok);
    });
};
