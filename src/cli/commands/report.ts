/**
 * `mtlc report <run-dir> [--out FILE]`: an HTML page of SVG plots (vega-lite) of a training run:
 * per-task loss and metric curves, α heat maps. `mtlc weights <run-dir>`: the learned α per
 * junction as a table (from the run's alphas.json; in place of `inspect --weights`).
 */
import { promises as fs } from 'node:fs';
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

/** Prints the learned α of a finished run (its alphas.json); shared by `weights` and `inspect --weights`. */
export async function printRunWeights(io: CliIO, runDir: string, format: string): Promise<void> {
  if (format !== 'pretty' && format !== 'json') throw new CliError(`--format: expected pretty or json, got '${format}'`, ExitCode.usage);
  const file = path.join(path.resolve(io.cwd, runDir), 'alphas.json');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new CliError(`${file}: not found; is ${runDir} a finished run directory (written by mtlc train --out)?`, ExitCode.usage);
  }
  let data: { alphas: import('../../runtime/train/types.js').JunctionAlpha[] };
  try {
    data = JSON.parse(text) as typeof data;
  } catch (e) {
    throw new CliError(`${file}: invalid JSON (${(e as Error).message})`, ExitCode.usage);
  }
  if (!data || !Array.isArray(data.alphas)) throw new CliError(`${file}: no "alphas" list; not written by mtlc train?`, ExitCode.usage);
  if (format === 'json') io.stdout(`${JSON.stringify(data.alphas)}\n`);
  else {
    const { formatAlphas } = await import('../../runtime/train/format.js');
    io.stdout(data.alphas.length > 0 ? `${formatAlphas(data.alphas)}\n` : 'no cross-stitch junctions\n');
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
