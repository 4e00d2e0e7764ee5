/**
 * `runTrainingCli(plan, build, argv)`: what `generated/<name>/train.ts` runs when executed, and
 * what `mtlc train` calls. Returns the exit code: 0 ok, 1 bad data / diverged, 2 usage or an unreadable file,
 * 3 backend unavailable. A user's mistake prints one located message, never a stack trace.
 */
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { BackendUnavailableError, UnknownBackendError, parseBackendChoice, selectBackend } from '../backend.js';
import { DataError } from '../data/types.js';
import { ModelFileError } from '../io/index.js';
import type { TrainingPlan } from '../plan.js';
import { WeightShapeError } from './checkpoint.js';
import { WorkersRefusal } from './data-parallel.js';
import { kebabCase } from '../naming.js';
import { joinNegativeValues, numericFlag, parseArgsOptions, trainingHelp } from './flags.js';
import { TrainingError, formatAlphas, trainModel } from './loop.js';
import { INIT_FROM_AND_RESUME, RunFileError, prepareRunFolder } from './run-files.js';
import { describeFsError } from '../files.js';
import type { EpochRecord, JunctionAlpha, ModelBuilder, ProgressSink, TrainOptions } from './types.js';

export interface TrainingCliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
  cwd: string;
  /** Where a model layer (`<task>_<layer>`, a junction's layer) is in the spec, as `file:line:col`; `mtlc train` knows. */
  locate?: (layerName: string) => string | undefined;
}

const defaultIO = (): TrainingCliIO => ({
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  isTTY: Boolean(process.stderr.isTTY),
  cwd: process.cwd(),
});

/**
 * A user's mistake or environment (a bad flag, data row, run folder, a full disk) as a one-line
 * message and its exit code; undefined for a bug.
 */
export function userError(e: unknown): { message: string; exitCode: number } | undefined {
  if (e instanceof BackendUnavailableError) return { message: e.message, exitCode: 3 };
  if (e instanceof UnknownBackendError || e instanceof ModelFileError || e instanceof RunFileError || e instanceof WeightShapeError) return { message: e.message, exitCode: 2 };
  if (e instanceof DataError || e instanceof TrainingError) return { message: e.message, exitCode: e.exitCode };
  // A path that cannot be written or read (--out on a file, a read-only folder, a full disk).
  const fs = describeFsError(e);
  return fs === undefined ? undefined : { message: fs, exitCode: 2 };
}

export async function runTrainingCli(plan: TrainingPlan, build: ModelBuilder, argv: readonly string[], io: TrainingCliIO = defaultIO()): Promise<number> {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    values = parseArgs({ args: joinNegativeValues(argv), options: parseArgsOptions(), strict: true, allowPositionals: false }).values as typeof values;
  } catch (e) {
    io.stderr(`error: ${(e as Error).message}\n(add --help for usage)\n`);
    return 2;
  }
  if (values['help']) {
    io.stdout(trainingHelp(plan));
    return 0;
  }
  try {
    const seed = numericFlag('seed', values['seed'] as string | undefined);
    const out = path.resolve(io.cwd, (values['out'] as string | undefined) ?? path.join('runs', kebabCase(plan.modelName)));
    const dataPath = values['data'] as string | undefined;
    const effectivePlan: TrainingPlan = dataPath
      ? { ...plan, data: plan.data.format === 'multimnist' ? plan.data : { ...plan.data, path: path.resolve(io.cwd, dataPath) } }
      : plan.data.format === 'multimnist'
        ? plan
        : { ...plan, data: { ...plan.data, path: path.resolve(io.cwd, plan.data.path), ...(plan.data.testPath ? { testPath: path.resolve(io.cwd, plan.data.testPath) } : {}) } };
    const backendText = values['backend'] as string | undefined;
    const options: TrainOptions & { dataPath?: string } = {
      out,
      resume: Boolean(values['resume']),
      quiet: Boolean(values['quiet']),
      progress: { write: io.stderr, isTTY: io.isTTY } satisfies ProgressSink,
    };
    const epochs = numericFlag('epochs', values['epochs'] as string | undefined);
    if (epochs !== undefined) options.epochs = epochs;
    const bs = numericFlag('batch-size', values['batch-size'] as string | undefined);
    if (bs !== undefined) options.batchSize = bs;
    if (backendText !== undefined) options.backend = parseBackendChoice(backendText, '--backend');
    if (seed !== undefined) options.seed = seed;
    const single = values['single-task'] as string | undefined;
    if (single !== undefined) options.singleTask = single;
    const workers = numericFlag('workers', values['workers'] as string | undefined);
    if (workers !== undefined) {
      // Each worker holds a copy of the model and needs a core; more threads only add copies.
      const cores = availableParallelism();
      if (workers > cores) throw new TrainingError(`--workers ${workers}: this machine has ${cores} core(s); use at most --workers ${cores}`);
      options.workers = workers;
    }
    const init = values['init-from'] as string[] | undefined;
    if (init) options.initFrom = init.map((d) => path.resolve(io.cwd, d));
    // A --data file with the built-in format in the spec: fields named after the input and tasks.
    const planForRun: TrainingPlan =
      dataPath && plan.data.format === 'multimnist'
        ? { ...effectivePlan, data: { format: dataPath.toLowerCase().endsWith('.csv') ? 'csv' : 'jsonl', path: path.resolve(io.cwd, dataPath), input: plan.input.name, targets: Object.fromEntries(plan.tasks.map((t) => [t.name, t.name])) } }
        : effectivePlan;
    // The backend first (an unavailable one is exit 3 whatever the run folder holds), then the
    // run folder: continued (--resume), discarded (--restart), or refused.
    await selectBackend(options.backend, { defaultChoice: plan.backend });
    // A folder holding a run is continued (--resume), discarded (--restart), or refused. A restart
    // is left to trainModel, which discards the old run only once the new data has checked out.
    if (values['restart']) options.restart = true;
    if (options.restart && options.resume) throw new RunFileError(out, '--resume continues the run in --out and --restart discards it; give one of them');
    if (options.resume && (options.initFrom?.length ?? 0) > 0) throw new RunFileError(out, INIT_FROM_AND_RESUME);
    const prepared = options.restart ? {} : await prepareRunFolder(out, { resume: options.resume === true, restart: false }, {
      epochs: options.epochs ?? plan.epochs,
      given: {
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
        ...(options.singleTask !== undefined ? { singleTask: options.singleTask } : {}),
        ...(options.workers !== undefined ? { workers: options.workers } : {}),
      },
    });
    // Resuming continues the run as it was: what the flags did not say comes from the run.
    if (prepared.kept) {
      options.seed = prepared.kept.seed;
      options.batchSize = prepared.kept.batchSize;
      if (prepared.kept.singleTask !== undefined) options.singleTask = prepared.kept.singleTask;
      if (prepared.kept.workers !== undefined) options.workers = prepared.kept.workers;
    }
    if (prepared.done) {
      io.stdout(`${prepared.done}\n`);
      return 0;
    }
    if (prepared.note && !options.quiet) io.stderr(`${prepared.note}\n`);
    const result = await trainModel(planForRun, build, options);
    printTrainingResult(io, result.history, result.alphas, out);
    return 0;
  } catch (e) {
    return printTrainingFailure(io, e);
  }
}

/** What a finished run prints (both engines): the last epoch per task, α, the run folder. */
export function printTrainingResult(io: TrainingCliIO, history: readonly EpochRecord[], alphas: readonly JunctionAlpha[], out: string): void {
  const last = history[history.length - 1];
  if (last) {
    for (const [task, s] of Object.entries(last.tasks)) {
      const v = last.val?.tasks[task];
      const m = Object.entries(v?.metrics ?? s.metrics).map(([k, x]) => `${k} ${x.toFixed(4)}`).join(', ');
      io.stdout(`${task}: ${v ? 'validation' : 'training'} loss ${(v ?? s).loss.toFixed(4)}${m ? `, ${m}` : ''}\n`);
    }
  }
  if (alphas.length > 0) io.stdout(`${formatAlphas(alphas)}\n`);
  io.stdout(`run directory: ${path.relative(io.cwd, out) || '.'} (model/, checkpoint/, metrics.jsonl)\n`);
}

/** A failed run (both engines): a user's mistake is one `error:` line and its exit code; a bug, 70. */
export function printTrainingFailure(io: TrainingCliIO, e: unknown): number {
  if (e instanceof WorkersRefusal) {
    io.stderr(`error: ${e.render(io.locate)}\n`);
    return e.exitCode;
  }
  const user = userError(e);
  if (user) {
    io.stderr(`error: ${user.message}\n`);
    return user.exitCode;
  }
  // A bug (in mtlc, the generated code or a backend): the stack, but not Node's dump of the
  // throwing line (the wasm backend's is one 100 kB line).
  io.stderr(`error: internal error (a bug; please report it with the spec): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return 70;
}
