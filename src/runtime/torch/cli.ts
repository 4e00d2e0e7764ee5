/**
 * `mtlc train --engine torch`: builds the initial model from the seed with tfjs (so both
 * engines start from the same weights), hands the data over as shards, writes the job and runs
 * the generated PyTorch package (one process, or torchrun with --nproc N). The run folder is the
 * tfjs engine's: run.json, metrics.jsonl, checkpoint/, model/ (tfjs files), alphas.json.
 * Exit codes as `runTrainingCli`: 0, 1 bad data / diverged, 2 usage or I/O, 3 no Python/torch.
 */
import { createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../backend.js';
import { loadData } from '../data/index.js';
import type { TrainingPlan } from '../plan.js';
import { kebabCase } from '../naming.js';
import { printTrainingFailure, printTrainingResult, type TrainingCliIO } from '../train/cli.js';
import { joinNegativeValues, numericFlag, parseArgsOptions, refusedFlag, torchTrainingHelp } from '../train/flags.js';
import { freezeJunctionsToIdentity } from '../train/junction-params.js';
import { TrainingError, initFrom, refuseAnotherModel } from '../train/loop.js';
import { findCheckpoint } from '../train/checkpoint.js';
import { INIT_FROM_AND_RESUME, MODEL_DIR, RunFileError, dataDigest, refuseOtherData, prepareRunFolder, readRunInfo, readRunText } from '../train/run-files.js';
import { Rng, deriveSeed } from '../random.js';
import { Progress } from '../train/progress.js';
import type { EpochRecord, JunctionAlpha, ModelBuilder } from '../train/types.js';
import { JOB_FILE, JOB_VERSION, TORCH_DIR, saveInitialModel, writeJob, writeShard, type ShardMeta, type TorchJob } from './handover.js';
import { findTorchPython, launch, launchArgs, pastableCommand, type TorchEvent } from './launch.js';

export interface TorchPackage {
  /** The folder holding the generated package. */
  root: string;
  /** The package name (`multi_mnist`). */
  name: string;
}

/** `mtlc train --engine torch --help` (the flags are declared once, in ../train/flags.ts). */
export { torchTrainingHelp };

/** What a killed or failed rank may leave in the run folder (Python's and the runtime's temp names). */
const TEMP_ENTRY = /^\.(checkpoint-tmp-|model-tmp-|run\.json\.tmp-|metrics\.jsonl\.tmp-|alphas\.json\.tmp-)/;

async function removeTempEntries(out: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(out);
  } catch {
    return;
  }
  for (const name of names) if (TEMP_ENTRY.test(name)) await fs.rm(path.join(out, name), { recursive: true, force: true });
}

/** --resume: the run's checkpoint holds this model's weights (by name), else the tfjs engine's refusal. */
async function refuseAnotherModelOf(out: string, build: ModelBuilder, seed: number): Promise<void> {
  const dir = await findCheckpoint(out);
  if (!dir) return;
  let names: string[];
  try {
    const manifest = (JSON.parse((await readRunText(path.join(dir, MODEL_DIR, 'model.json'), 'checkpoint model')) ?? '{}') as { weightsManifest?: { weights?: { name?: unknown }[] }[] }).weightsManifest;
    if (!Array.isArray(manifest)) return;
    names = manifest.flatMap((g) => (g.weights ?? []).map((w) => String(w.name)));
  } catch {
    return; // a damaged checkpoint: the Python runtime names what is wrong with it
  }
  const probe = build({ seed });
  try {
    refuseAnotherModel(dir, names, probe.model.weights.map((w) => w.originalName));
  } finally {
    probe.model.dispose();
  }
}

/** "; labelled: left 6000, right 500" for partially labelled data (as the tfjs engine's start line), else nothing. */
function labelSummary(meta: ShardMeta): string {
  const targets = Object.entries(meta.targets);
  if (!targets.some(([, t]) => t.labelled)) return '';
  return `; labelled: ${targets.map(([task, t]) => `${task} ${t.labelled?.count ?? meta.examples}`).join(', ')}`;
}

/** The ranks' and torchrun's output of the last launch, in `<run>/torch/`. */
export const OUTPUT_LOG = 'output.log';

/** A rank's Python traceback in the output (not torchrun's own report of the failure), or undefined. */
function rankTraceback(output: readonly string[]): string | undefined {
  for (let i = output.indexOf('Traceback (most recent call last):'); i >= 0; i = output.indexOf('Traceback (most recent call last):', i + 1)) {
    let j = i + 1;
    while (j < output.length && /^\s/.test(output[j]!)) j++;
    const block = output.slice(i, j + 1).join('\n');
    if (!/torch[/\\]distributed[/\\](run|launch)|ChildFailedError/.test(block)) return block;
  }
  return undefined;
}

/**
 * Why a launch failed without a rank naming a mistake of the user's: a rank killed by a signal
 * (torchrun's failure report gives each failed rank's exit code, negative for a signal; the other
 * ranks then fail on the lost connection: not the cause) is exit 1, continue with --resume; a
 * rank's unexpected exception is a bug (exit 70, with its traceback).
 */
export function launchFailure(
  result: { exitCode: number | null; signal: NodeJS.Signals | null },
  output: readonly string[],
  crash: { message: string; trace: string; rank: number } | undefined,
): { message: string; exitCode: number; trace?: string } {
  const resume = 'the run folder keeps the last checkpoint (continue with --resume)';
  if (result.signal) return { message: `PyTorch training was killed by ${result.signal}; ${resume}`, exitCode: 1 };
  const failed: { rank: string; code: number }[] = [];
  let rank: string | undefined;
  for (const line of output) {
    const r = /^\s*rank\s*:\s*(\d+)/.exec(line);
    if (r) rank = r[1];
    const c = /^\s*exitcode\s*:\s*(-?\d+)/.exec(line);
    if (c && rank !== undefined) failed.push({ rank, code: Number(c[1]) });
  }
  const killed = failed.find((f) => f.code < 0);
  if (killed) {
    const signal = -killed.code;
    return { message: `PyTorch rank ${killed.rank} was killed by signal ${signal}${signal === 9 ? ' (SIGKILL)' : signal === 15 ? ' (SIGTERM)' : ''}; ${resume}`, exitCode: 1 };
  }
  const bug = 'internal error in the PyTorch engine';
  if (crash) return { message: `${bug}, rank ${crash.rank} (a bug; please report it with the spec): ${crash.message}`, exitCode: 70, trace: crash.trace };
  const trace = rankTraceback(output);
  if (trace) return { message: `${bug} (a bug; please report it with the spec): ${trace.split('\n').pop()}`, exitCode: 70, trace };
  const first = failed[0];
  return { message: `${first ? `PyTorch rank ${first.rank} exited with ${first.code}` : `PyTorch training exited with ${result.exitCode}`}; ${resume}`, exitCode: 1 };
}

export async function runTorchTrainingCli(plan: TrainingPlan, build: ModelBuilder, argv: readonly string[], io: TrainingCliIO, pkg: TorchPackage): Promise<number> {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    // The torch engine's flags, and the tfjs engine's too, so that those are refused by name.
    values = parseArgs({ args: joinNegativeValues(argv), options: parseArgsOptions('torch', true), strict: true, allowPositionals: false }).values as typeof values;
  } catch (e) {
    io.stderr(`error: ${(e as Error).message}\n(add --help for usage)\n`);
    return 2;
  }
  if (values['help']) {
    io.stdout(torchTrainingHelp(plan));
    return 0;
  }
  try {
    const refused = refusedFlag(values, 'torch');
    if (refused) throw new TrainingError(refused);
    const seedGiven = numericFlag('seed', values['seed'] as string | undefined);
    let seed = seedGiven ?? plan.seed;
    const epochs = numericFlag('epochs', values['epochs'] as string | undefined) ?? plan.epochs;
    const batchSizeGiven = numericFlag('batch-size', values['batch-size'] as string | undefined);
    let batchSize = batchSizeGiven ?? plan.batchSize;
    let singleTask = values['single-task'] as string | undefined;
    const taskNames = plan.tasks.map((t) => t.name);
    if (singleTask !== undefined && !taskNames.includes(singleTask)) throw new TrainingError(`--single-task: unknown task '${singleTask}'; tasks: ${taskNames.join(', ')}`);
    const initFromDirs = ((values['init-from'] as string[] | undefined) ?? []).map((d) => path.resolve(io.cwd, d));
    const nprocGiven = numericFlag('nproc', values['nproc'] as string | undefined);
    let nproc = nprocGiven ?? 1;
    const out = path.resolve(io.cwd, (values['out'] as string | undefined) ?? path.join('runs', kebabCase(plan.modelName)));
    const dataPath = values['data'] as string | undefined;
    const prepareOnly = Boolean(values['prepare-only']);
    const quiet = Boolean(values['quiet']);

    // No Python or no torch: exit 3 before anything is written.
    const found = findTorchPython(values['python'] as string | undefined);
    if ('missing' in found) {
      io.stderr(`error: ${found.missing}\n`);
      return 3;
    }

    // The run folder (after Python, so a missing torch is exit 3 whatever it holds): a folder
    // holding a run is continued (--resume, which keeps the run's seed, batch size and single
    // task and refuses flags that change them), discarded (--restart), or refused. A restart
    // discards the old run only once the new data and initial weights have checked out.
    const resume = Boolean(values['resume']);
    const restart = Boolean(values['restart']);
    if (resume && restart) throw new RunFileError(out, '--resume continues the run in --out and --restart discards it; give one of them');
    if (resume && initFromDirs.length > 0) throw new RunFileError(out, INIT_FROM_AND_RESUME);
    const prepared = restart ? {} : await prepareRunFolder(out, { resume, restart: false }, {
      epochs,
      given: {
        ...(seedGiven !== undefined ? { seed } : {}),
        ...(batchSizeGiven !== undefined ? { batchSize } : {}),
        ...(singleTask !== undefined ? { singleTask } : {}),
        // The ranks split each global batch; resumed with another split the run would not be
        // the same (batch norm normalises each rank's part, dropout draws per rank, the sums'
        // order differs): refused, as the tfjs engine refuses another --workers.
        ...(nprocGiven !== undefined ? { nproc: nprocGiven } : {}),
      },
    });
    if (prepared.kept) {
      seed = prepared.kept.seed;
      batchSize = prepared.kept.batchSize;
      singleTask = prepared.kept.singleTask ?? singleTask;
      nproc = prepared.kept.nproc ?? nproc;
    }
    if (prepared.done) {
      io.stdout(`${prepared.done}\n`);
      return 0;
    }

    const effective: TrainingPlan = dataPath
      ? {
          ...plan,
          data:
            plan.data.format === 'multimnist'
              ? { format: dataPath.toLowerCase().endsWith('.csv') ? 'csv' : 'jsonl', path: path.resolve(io.cwd, dataPath), input: plan.input.name, targets: Object.fromEntries(plan.tasks.map((t) => [t.name, t.name])) }
              : { ...plan.data, path: path.resolve(io.cwd, dataPath) },
        }
      : plan;
    const progress = new Progress(quiet ? null : { write: io.stderr, isTTY: io.isTTY }, epochs);

    // The job: data shards, initial weights, job.json (on the cpu backend: no training here).
    await selectBackend('cpu');
    // A checkpoint of another model (--variant) is refused before the run's job is rewritten.
    if (resume) await refuseAnotherModelOf(out, build, seed);
    // Resuming on other data (another file, or the file changed since) would be another run.
    const dataLabel = effective.data.format === 'multimnist' ? `built-in MultiMNIST (${effective.data.trainSize ?? 6000} train, ${effective.data.testSize ?? 1000} test)` : effective.data.path;
    const digest = await dataDigest(effective.data);
    if (resume) await refuseOtherData(out, digest, dataLabel);
    const jobDir = path.join(out, TORCH_DIR);
    await fs.mkdir(jobDir, { recursive: true });
    const loaded = await loadData({ ...effective, seed }, { seed, validationSplit: plan.validationSplit });
    const tasks = plan.tasks.map((t) => t.name);
    let trainMeta;
    try {
      trainMeta = await writeShard(loaded.train, path.join(jobDir, 'data', 'train'), plan.input.shape, tasks);
      if (loaded.val) await writeShard(loaded.val, path.join(jobDir, 'data', 'val'), plan.input.shape, tasks);
    } finally {
      loaded.dispose();
    }
    // The initial weights as the tfjs engine starts: the seed's, junctions isolated for
    // --single-task, towers from --init-from runs (junction parameters never copied).
    const built = build({ seed });
    try {
      if (singleTask !== undefined) freezeJunctionsToIdentity(built.model);
      const initialised = new Map<string, number>();
      for (const dir of initFromDirs) await initFrom(built.model, built.tasks, dir, progress, initialised);
      await saveInitialModel(built.model, path.join(jobDir, 'init'));
    } finally {
      built.model.dispose();
    }
    const job: TorchJob = {
      version: JOB_VERSION,
      runDir: '..',
      initModel: 'init',
      trainData: path.join('data', 'train'),
      ...(loaded.val ? { valData: path.join('data', 'val') } : {}),
      plan: { ...effective, seed, epochs, batchSize },
      seed,
      epochs,
      batchSize,
      resume,
      ...(singleTask !== undefined ? { singleTask } : {}),
      // What run.json and the checkpoint carry as the tfjs engine writes them (the checkpoint's
      // rng is the tfjs loop's start state: the torch engine draws from its own generators).
      rng: [...new Rng(deriveSeed(seed, 0x5eed)).state()],
      run: {
        data: dataLabel,
        dataDigest: digest,
        startedAt: (resume ? (await readRunInfo(out).catch(() => undefined))?.startedAt : undefined) ?? new Date().toISOString(),
      },
    };
    if (restart) {
      const discarded = await prepareRunFolder(out, { resume: false, restart: true }, { epochs, given: {} });
      if (discarded.note) progress.line(discarded.note);
    }
    // A shard of an earlier job that this one does not use (validation data no longer split off).
    if (!loaded.val) await fs.rm(path.join(jobDir, 'data', 'val'), { recursive: true, force: true });
    const jobFile = path.join(jobDir, JOB_FILE);
    await writeJob(jobFile, job);
    if (prepareOnly) {
      const script = { nproc, packageName: pkg.name, job: jobFile, events: 'text' as const };
      const id = `mtlc-${kebabCase(plan.modelName)}`;
      io.stdout(
        `job: ${path.relative(io.cwd, jobFile) || jobFile}\n` +
          `run it on this machine (${nproc} process${nproc === 1 ? '' : 'es'}):\n  ${pastableCommand(found.python, pkg.root, launchArgs(script))}\n` +
          `on M machines that all see these paths, run on each (M: the number of machines; HOST:PORT: the first one's address and a free port):\n` +
          `  ${pastableCommand(found.python, pkg.root, launchArgs(script, { nodes: 'M', endpoint: 'HOST:PORT', id }))}\n`,
      );
      return 0;
    }
    progress.line(
      `engine: torch ${found.torch} (${found.python}), ${nproc} process${nproc === 1 ? '' : 'es'}${prepared.kept?.nproc !== undefined && nprocGiven === undefined ? " (the run's)" : ''}; ${trainMeta.examples} training examples${labelSummary(trainMeta)}`,
    );

    // The ranks' and torchrun's own output (warnings, tracebacks, torchrun's failure report) goes to
    // a log in the run folder, not the terminal: a user's mistake ends in one `error:` line that
    // names the log; only a bug (a rank's unexpected exception) shows its traceback.
    const logFile = path.join(jobDir, OUTPUT_LOG);
    // Appended (each launch under a header): the output of a failed launch outlives the --resume after it.
    const log = createWriteStream(logFile, { flags: 'a' });
    log.write(`--- ${new Date().toISOString()}: ${nproc} process${nproc === 1 ? '' : 'es'}${resume ? ', --resume' : ''}\n`);
    const shown = path.relative(io.cwd, logFile) || logFile;
    let failure: { message: string; exitCode: number } | undefined;
    let crash: { message: string; trace: string; rank: number } | undefined;
    let alphas: JunctionAlpha[] = [];
    const history: EpochRecord[] = [];
    const output: string[] = [];
    let result;
    try {
      result = await launch({
        python: found.python,
        nproc,
        packageRoot: pkg.root,
        packageName: pkg.name,
        job: jobFile,
        onEvent: (e: TorchEvent) => {
          switch (e.event) {
            case 'start':
              progress.startEpoch(Number(e['startEpoch']) + 1, trainMeta.examples);
              break;
            case 'line':
              progress.line(String(e['text']));
              break;
            case 'batch':
              progress.batch(e['size'] as number, e['losses'] as Record<string, number>, trainMeta.examples);
              break;
            case 'epoch': {
              const record = e['record'] as EpochRecord;
              history.push(record);
              progress.endEpoch(record);
              if (record.epoch < epochs) progress.startEpoch(record.epoch + 1, trainMeta.examples);
              break;
            }
            case 'done':
              alphas = (e['alphas'] as JunctionAlpha[]) ?? [];
              break;
            case 'error':
              // Every rank may stop on the same mistake: the first one's message.
              failure ??= { message: String(e['message']), exitCode: Number(e['exitCode']) || 2 };
              break;
            case 'crash':
              crash ??= { message: String(e['message']), trace: String(e['trace'] ?? ''), rank: Number(e['rank']) || 0 };
              break;
          }
        },
        onLine: (line) => {
          log.write(`${line}\n`);
          output.push(line);
          if (output.length > 400) output.shift();
          // Python's warnings (one line each; the rest is in the log).
          if (!quiet && /^(\S+:\d+: )?[A-Z]\w*Warning: /.test(line)) progress.line(line);
        },
      });
    } finally {
      await new Promise<void>((resolve) => log.end(() => resolve()));
    }
    if (failure || crash || result.exitCode !== 0) {
      progress.stop();
      await removeTempEntries(out);
    }
    // A user's mistake seen by a rank (other ranks may then fail on the lost connection: not the cause).
    if (failure) {
      io.stderr(`error: ${failure.message}\n`);
      return failure.exitCode;
    }
    if (crash || result.exitCode !== 0) {
      const why = launchFailure(result, output, crash);
      if (why.trace) io.stderr(`${why.trace.trimEnd()}\n`);
      io.stderr(`error: ${why.message}; the ranks' output: ${shown}\n`);
      return why.exitCode;
    }
    printTrainingResult(io, history, alphas, out);
    return 0;
  } catch (e) {
    return printTrainingFailure(io, e);
  }
}
