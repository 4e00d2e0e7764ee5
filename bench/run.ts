/**
 * `npm run bench`: each figure beside its peer, interleaved (A B A B ...), median and spread;
 * prints a table and writes bench/results/<date>-<name>.json. See `npm run bench -- --help`.
 *
 * The machine's cores may be shared (other processes, other engineers): absolute numbers are
 * noisy; the paired ratios of interleaved runs are the figures to compare.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseBenchArgs, UsageError, USAGE, wants, type BenchOptions } from './lib/args.js';
import { ensureTorch } from './lib/python.js';
import { loadGenerated, runtimeCrossStitch, runtimeTrainModel, firstLine, repoPath } from './lib/optional.js';
import { formatMarkdown, formatTable, type Row } from './lib/table.js';
import { resultsPath, writeJsonAtomic } from './lib/results.js';
import { countsFor, type BenchContext } from './figures/context.js';
import { crossStitchOverhead, generatedVsHand, trainParallelVsTorch, trainVsTorch } from './figures/training.js';
import { compileFigures } from './figures/compile.js';
import { memoryFigure } from './figures/memory.js';
import { loopFigure } from './figures/loop.js';

async function main(argv: string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`bench: ${error.message}\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const started = new Date();
  const loadBefore = loadavg();
  const rows: Row[] = [];
  const figures: Record<string, unknown> = {};
  const needsTorch = wants(options, 'train') || wants(options, 'overhead');
  const torch = needsTorch ? ensureTorch(options.installPeers, log) : { missing: 'not needed for the chosen figures' };
  if ('missing' in torch) log(`PyTorch peer skipped: ${torch.missing}`);
  else log(`PyTorch ${torch.version} found (${torch.python})`);
  const counts = countsFor(options.quick);
  const ctx: BenchContext = {
    options,
    ...counts,
    torch: 'python' in torch ? torch : undefined,
    torchMissing: 'missing' in torch ? torch.missing : undefined,
    crossStitch: await runtimeCrossStitch(),
    generated: await loadGenerated(),
    log,
    row: (r) => {
      rows.push(r);
      log(`${r.figure}: ${r.a} | ${r.b} | ${r.ratio} (${r.status})`);
    },
    record: (k, v) => {
      figures[k] = v;
    },
  };
  if ('missing' in ctx.generated) log(`generated model: not yet (${ctx.generated.missing})`);

  const run = async (name: string, f: () => Promise<void>) => {
    try {
      await f();
    } catch (error) {
      log(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      rows.push({ figure: name, a: 'error', b: 'n/a', ratio: 'n/a', target: '', status: 'error', note: firstLine(error) });
    }
  };
  if (wants(options, 'train')) await run('train wasm vs PyTorch', () => trainVsTorch(ctx, 'wasm'));
  if (wants(options, 'train')) await run('train wasm ×2 threads vs PyTorch', () => trainParallelVsTorch(ctx, 2));
  if (wants(options, 'overhead')) await run('cross-stitch overhead', () => crossStitchOverhead(ctx));
  if (wants(options, 'generated')) await run('generated vs hand-written', () => generatedVsHand(ctx));
  if (wants(options, 'train') && options.cpu) await run('train cpu vs PyTorch', () => trainVsTorch(ctx, 'cpu'));
  if (wants(options, 'compile')) await run('compile', () => compileFigures(ctx));
  if (wants(options, 'memory')) {
    await run('memory', () => memoryFigure(ctx));
    const trainModel = await runtimeTrainModel();
    if (trainModel) await run('trainModel', () => loopFigure(ctx, trainModel as Parameters<typeof loopFigure>[1]));
    else rows.push({ figure: 'memory across epochs (trainModel, wasm)', a: 'not yet', b: '—', ratio: '—', target: 'flat tensor count', status: 'not yet', note: 'the runtime exports no trainModel yet' });
  }

  const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string };
  const file = resultsPath(options.name, started, options.resultsDir ? resolve(options.resultsDir) : undefined);
  writeJsonAtomic(file, {
    started: started.toISOString(),
    seconds: Math.round((Date.now() - started.getTime()) / 100) / 10,
    options,
    counts,
    machine: { loadAverage: { before: loadBefore, after: loadavg() }, cpus: cpus().length, cpu: cpus()[0]?.model, memGB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform },
    versions: { mtlc: pkg.version, tfjs: tf.version.tfjs, torch: ctx.torch?.version ?? null },
    note: 'Interleaved A/B repetitions; ratios are medians of per-pair ratios. Absolute numbers depend on machine load.',
    rows,
    figures,
  });
  process.stdout.write(`\n${formatTable(rows)}\n`);
  process.stdout.write(`Markdown:\n\n${formatMarkdown(rows)}\n`);
  process.stdout.write(
    `Ratios: median of interleaved pairs (A B A B ...), ±half their spread, and (best ...) = best A / best B.\n` +
      `Load average before/after: ${loadBefore.map((l) => l.toFixed(2)).join(' ')} / ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores; absolute numbers vary with machine load.\nResults: ${file}\n`,
  );
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
