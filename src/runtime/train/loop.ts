/**
 * The training loop. A custom loop rather than `model.fit`, so the junctions' parameters (α)
 * can have their own optimizer: the towers' type, learning rate × `crossStitchLearningRateMultiplier`,
 * its own state (a gradient scale would be cancelled by Adam and RMSProp).
 *
 * `trainModel` reads as its steps: settings -> model -> parameter groups -> data -> run folder
 * (resume) -> epochs (epoch.ts) -> final model and α.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendSelection } from '../backend.js';
import { withOwnStorage } from '../tensor-storage.js';
import { DatasetSource, TensorSource } from '../data/memory.js';
import { loadData } from '../data/index.js';
import type { BatchSource } from '../data/types.js';
import { appendLine, writeAtomic } from '../files.js';
import { fileSystemHandler } from '../io/index.js';
import type { TaskPlan, TrainingPlan } from '../plan.js';
import { Rng, deriveSeed } from '../random.js';
import { assignWeights, findCheckpoint, loadOptimizerWeights, loadSavedWeights, readCheckpointState, saveCheckpoint, WeightShapeError } from './checkpoint.js';
import { lazyConvGradients } from './conv-gradients.js';
import { DataParallel, dataParallelObstacles, describeModelLayer, WorkersRefusal } from './data-parallel.js';
import { maxAbs, trainEpoch, type EpochContext } from './epoch.js';
import { TrainingError } from './errors.js';
import { freezeJunctionsToIdentity, isJunctionLayer, junctionGroups, junctionObstacles, readAlphas } from './junction-params.js';
import { outputIndex, taskRuntimes } from './objective.js';
import { createOptimizer } from './optimizers.js';
import { Progress } from './progress.js';
import { dataDigest, INIT_FROM_AND_RESUME, prepareRunFolder, readRunInfo, refuseOtherData, RunFileError, type RunInfo } from './run-files.js';
import type { BuiltModel, EpochRecord, JunctionAlpha, ModelBuilder, TrainOptions, TrainResult } from './types.js';
export { formatAlphas } from './format.js';
export { TrainingError } from './errors.js';
export { CROSS_STITCH_CLASS, identityLike, isCrossStitchLayer, isJunctionLayer, readAlphas } from './junction-params.js';

export const METRICS_FILE = 'metrics.jsonl';
export const ALPHAS_FILE = 'alphas.json';
export const RUN_FILE = 'run.json';
export const MODEL_DIR = 'model';

export async function trainModel<Task extends string>(plan: TrainingPlan, build: ModelBuilder<Task>, options: TrainOptions<Task> = {}): Promise<TrainResult<Task>> {
  // The backend first: variables live on a backend.
  const selection = await selectBackend(options.backend, { defaultChoice: plan.backend });
  const settings = resolveSettings(plan, options, selection);
  const { seed, epochs, batchSize, workers, out } = settings;
  const progress = new Progress(options.quiet ? null : (options.progress ?? { write: (s) => void process.stderr.write(s), isTTY: Boolean(process.stderr.isTTY) }), epochs);
  const active = activeTasks(plan, options.singleTask);

  const built = build({ seed });
  const model = built.model;
  // The image needs no gradient: first-layer convolutions skip computing it (same math).
  lazyConvGradients(model);
  const obstacles = workers > 1 ? [...dataParallelObstacles(model), ...junctionObstacles(model)] : [];
  if (obstacles.length > 0) {
    model.dispose();
    throw new WorkersRefusal(workers, obstacles.map((o) => ({ ...o, what: describeModelLayer(o.layerName, plan, built) })));
  }
  if (options.singleTask !== undefined) freezeJunctionsToIdentity(model);

  const resources: tf.Tensor[] = [];
  const onDispose: (() => void)[] = [];
  try {
    const initialised = new Map<string, number>();
    if (options.resume && (options.initFrom?.length ?? 0) > 0) throw new RunFileError(settings.out ?? '', INIT_FROM_AND_RESUME);
    for (const dir of options.initFrom ?? []) await initFrom(model, built.tasks, dir, progress, initialised);

    const logVars = uncertaintyVariables(plan, active);
    resources.push(...Object.values(logVars));
    const groups = parameterGroups(plan, model, options.singleTask, logVars);
    for (const g of groups) onDispose.push(() => g.optimizer.dispose());
    const gradVars = groups.flatMap((g) => g.variables);
    const parallel = workers > 1 ? await startWorkers(workers, plan, built, () => DataParallel.start(workers, model, selection.name, active, built.tasks, gradVars, logVars)) : null;
    if (parallel) onDispose.push(() => void parallel.close());

    const data = await openData(plan, options, settings, resources);
    onDispose.push(data.dispose);

    const state = await startRunFolder(plan, options, settings, selection, model, groups, logVars, progress);
    progress.line(`${selection.summary}; ${active.length} task(s), ${data.train.size ?? '?'} training examples${data.val ? `, ${data.val.size ?? '?'} validation` : ''}${labelSummary(data.train)}`);

    // How large the weights start, to tell which group blew up if the loss diverges.
    for (const g of groups) g.initialMaxAbs = maxAbs(g.variables);
    const ctx: EpochContext = {
      alphaMultiplier: plan.crossStitchLearningRateMultiplier,
      model,
      tasks: taskRuntimes(active),
      outIdx: outputIndex(model, built.tasks),
      weighting: plan.taskWeighting,
      logVars,
      groups,
      parallel,
      train: data.train,
      val: data.val,
      batchSize,
      seed,
      progress,
    };
    for (let epoch = state.startEpoch; epoch < epochs; epoch++) {
      const { record, taskLosses } = await trainEpoch(ctx, epoch, state.rng, state.lossHistory);
      state.lossHistory.push(taskLosses);
      state.history.push(record);
      if (out) await saveEpoch(out, plan, options, settings, model, groups, state, record, readAlphas(built));
      progress.endEpoch(record);
      await options.onEpochEnd?.(record);
    }

    const alphas = readAlphas(built);
    if (out) {
      await model.save(fileSystemHandler(path.join(out, MODEL_DIR)));
      await writeAtomic(path.join(out, ALPHAS_FILE), `${JSON.stringify({ modelName: plan.modelName, alphas }, null, 1)}\n`);
    }
    return { model, built, history: state.history, alphas, backend: selection.name, ...(out ? { out } : {}) };
  } finally {
    for (const d of onDispose) d();
    tf.dispose(resources);
  }
}

// ---------------------------------------------------------------------------------------------
// Steps

interface Settings {
  seed: number;
  epochs: number;
  batchSize: number;
  validationSplit: number;
  workers: number;
  out: string | undefined;
}

/** The options over the plan's defaults, each checked (a bad value is a TrainingError, exit 2). */
function resolveSettings(plan: TrainingPlan, options: TrainOptions, selection: BackendSelection): Settings {
  const seed = options.seed ?? plan.seed;
  const epochs = options.epochs ?? plan.epochs;
  const batchSize = options.batchSize ?? plan.batchSize;
  const validationSplit = options.validationSplit ?? plan.validationSplit;
  if (!Number.isInteger(epochs) || epochs < 1) throw new TrainingError(`epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new TrainingError(`batch size must be a positive integer, got ${batchSize}`);
  if (!(validationSplit >= 0 && validationSplit < 1)) throw new TrainingError(`validationSplit must be in [0, 1), got ${validationSplit}`);
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw new TrainingError(`workers must be a positive integer, got ${workers}`);
  if (workers > 1 && selection.name !== 'wasm' && selection.name !== 'cpu') {
    throw new TrainingError(`workers ${workers}: data-parallel threads are for the wasm and cpu backends; the ${selection.name} backend already uses every core`);
  }
  return { seed, epochs, batchSize, validationSplit, workers, out: options.out };
}

/** The tasks that train: all of them, or the one of --single-task. */
function activeTasks(plan: TrainingPlan, singleTask: string | undefined): TaskPlan[] {
  const names = plan.tasks.map((t) => t.name);
  if (singleTask !== undefined && !names.includes(singleTask)) {
    throw new TrainingError(`--single-task: unknown task '${singleTask}'; tasks: ${names.join(', ')}`);
  }
  return plan.tasks.filter((t) => singleTask === undefined || t.name === singleTask);
}

/**
 * --init-from (both engines): towers from (single-task) runs, by layer name; junction parameters are never
 * copied. Says per task how many layers it loaded; a run that fits no layer of this model, or
 * whose layers have other shapes, is refused (it is not a run of this model's towers).
 */
export async function initFrom(model: tf.LayersModel, tasks: readonly string[], dir: string, progress: Progress, loaded: Map<string, number>): Promise<void> {
  const modelDir = await modelDirOf(dir);
  let only: string | undefined;
  try {
    only = (await readRunInfo(dir))?.singleTask;
  } catch (e) {
    if (!(e instanceof RunFileError)) throw e;
    throw new TrainingError(`--init-from ${dir}: ${e.message}`);
  }
  const saved = await loadSavedWeights(modelDir);
  let copied: string[];
  try {
    copied = assignWeights(model, saved, (name) => {
      if (isJunctionLayer(model.getLayer(name))) return false;
      return only === undefined || name === only || name.startsWith(`${only}_`);
    });
  } catch (e) {
    if (e instanceof WeightShapeError) throw new TrainingError(`--init-from ${dir}: ${e.message}; that run's towers are not this model's`);
    throw e;
  } finally {
    tf.dispose(Object.values(saved));
  }
  // Longest task name first, so task "ab" is not counted under task "a".
  const byLength = [...tasks].sort((x, y) => y.length - x.length);
  const perTask = new Map<string, number>();
  for (const layer of copied) {
    const task = byLength.find((t) => layer === t || layer.startsWith(`${t}_`));
    if (task) perTask.set(task, (perTask.get(task) ?? 0) + 1);
  }
  if (copied.length === 0) {
    throw new TrainingError(
      `--init-from ${dir}: no layer of this model has a saved weight there${only ? ` (the run trained task '${only}' alone)` : ''}; it is a run of another model (layers are matched by name: <task>_<layer>)`,
    );
  }
  for (const [task, n] of perTask) loaded.set(task, (loaded.get(task) ?? 0) + n);
  const per = tasks.map((t) => `${t} ${perTask.get(t) ?? 0}`).join(', ');
  progress.line(`init-from ${dir}: ${copied.length} layer(s) loaded${only ? ` (task '${only}')` : ''}: ${per}`);
}

async function modelDirOf(dir: string): Promise<string> {
  const candidates = [path.join(dir, MODEL_DIR), path.join(dir, 'checkpoint', MODEL_DIR), dir];
  for (const c of candidates) {
    try {
      await fs.access(path.join(c, 'model.json'));
      return c;
    } catch {
      // next
    }
  }
  throw new TrainingError(`--init-from ${dir}: no model.json in ${candidates.join(', ')}`);
}

/** Uncertainty weighting (Kendall et al. 2018): a learned log σ² per task, starting at 0. */
function uncertaintyVariables(plan: TrainingPlan, active: readonly TaskPlan[]): Record<string, tf.Variable> {
  const logVars: Record<string, tf.Variable> = {};
  if (plan.taskWeighting.type === 'uncertainty') for (const t of active) logVars[t.name] = tf.variable(tf.scalar(0), true);
  return logVars;
}

/**
 * The optimizer groups: `main` for the tower weights (with --single-task, only the task's own
 * layers) and log σ²; `alpha` for the junctions' parameters at the plan's multiplier, and one
 * group per multiplier a junction kind declares for its own (e.g. NDDR's).
 */
function parameterGroups(plan: TrainingPlan, model: tf.LayersModel, singleTask: string | undefined, logVars: Record<string, tf.Variable>): EpochContext['groups'] {
  const junctions = junctionGroups(model, plan.crossStitchLearningRateMultiplier);
  const alphaNames = new Set(junctions.flatMap((g) => g.variables.map((v) => v.name)));
  const ownLayer = (layerName: string) => singleTask === undefined || layerName === singleTask || layerName.startsWith(`${singleTask}_`);
  const all = model.trainableWeights.filter((w) => !alphaNames.has((w.read() as tf.Variable).name));
  let towers = all.filter((w) => ownLayer(w.originalName.split('/')[0]!));
  if (singleTask !== undefined && towers.length === 0) towers = all;
  const groups: EpochContext['groups'] = [
    { name: 'main', optimizer: createOptimizer(plan.optimizer), variables: [...towers.map((w) => w.read() as tf.Variable), ...Object.values(logVars)], learningRate: plan.optimizer.learningRate },
  ];
  for (const g of junctions) {
    const rate = plan.optimizer.learningRate * g.multiplier;
    groups.push({ name: g.name, optimizer: createOptimizer(plan.optimizer, rate), variables: g.variables, learningRate: rate, multiplier: g.multiplier });
  }
  return groups;
}

/**
 * Worker threads rebuild the model from its topology, so a layer class registered only on the
 * main thread (a plugin's runtime layer) is unknown there: say so instead of tfjs's message.
 */
async function startWorkers<T>(workers: number, plan: TrainingPlan, built: BuiltModel, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (e) {
    const unknown = /Unknown layer: (\w+)/.exec(e instanceof Error ? e.message : String(e));
    if (!unknown) throw e;
    // The spec's layers or junctions whose runtime class is a plugin's.
    const plugin = built.model.layers.filter((l) => l.getClassName() === unknown[1]);
    throw new WorkersRefusal(
      workers,
      (plugin.length > 0 ? plugin.map((l) => l.name) : [unknown[1]!]).map((layerName) => ({
        layerName,
        what: describeModelLayer(layerName, plan, built),
        why: `its kind's runtime layer (${unknown[1]}) comes from a plugin, which the worker threads do not load`,
      })),
    );
  }
}

/** "; labelled: left 6000, right 500" for partially labelled data, else nothing. */
function labelSummary(source: BatchSource): string {
  const counts = source.labelCounts;
  if (!counts || Object.values(counts).every((n) => n === source.size)) return '';
  return `; labelled: ${Object.entries(counts)
    .map(([task, n]) => `${task} ${n}`)
    .join(', ')}`;
}

/** The training and validation batches: given tensors, given datasets, or the plan's data. */
async function openData(plan: TrainingPlan, options: TrainOptions, settings: Settings, resources: tf.Tensor[]): Promise<{ train: BatchSource; val: BatchSource | undefined; dispose: () => void }> {
  const validationDataset = options.validationDataset ? new DatasetSource('validation dataset', options.validationDataset) : undefined;
  if (options.inputs) {
    if (!options.targets) throw new TrainingError('inputs given without targets');
    // Tensors cast on cpu before the runtime loaded hold int bits that wasm would read as floats.
    const own = <T extends tf.Tensor>(t: T): T => {
      const o = withOwnStorage(t);
      if (o !== t) resources.push(o);
      return o;
    };
    const targets = Object.fromEntries(Object.entries(options.targets as Record<string, tf.Tensor>).map(([task, t]) => [task, own(t)]));
    const labelled = Object.fromEntries(Object.entries((options.labelled ?? {}) as Record<string, tf.Tensor>).map(([task, t]) => [task, own(t.toFloat().as1D())]));
    const all = new TensorSource('inputs', own(options.inputs), targets, labelled);
    if (validationDataset) return { train: all, val: validationDataset, dispose: () => {} };
    const s = all.split(settings.validationSplit);
    return { train: s.train, val: s.val, dispose: s.dispose };
  }
  if (options.dataset) return { train: new DatasetSource('dataset', options.dataset), val: validationDataset, dispose: () => {} };
  return loadData(plan, { seed: settings.seed, validationSplit: settings.validationSplit });
}

interface RunState {
  startEpoch: number;
  rng: Rng;
  history: EpochRecord[];
  /** Per-task epoch-mean losses, oldest first (DWA needs the last two). */
  lossHistory: Record<string, number>[];
}

/** A fresh state, or (--resume) the last checkpoint's; then run.json and metrics.jsonl as of that state. */
async function startRunFolder(
  plan: TrainingPlan,
  options: TrainOptions,
  settings: Settings,
  selection: BackendSelection,
  model: tf.LayersModel,
  groups: EpochContext['groups'],
  logVars: Record<string, tf.Variable>,
  progress: Progress,
): Promise<RunState> {
  const { out, seed } = settings;
  const state: RunState = { startEpoch: 0, rng: new Rng(deriveSeed(seed, 0x5eed)), history: [], lossHistory: [] };
  if (!out) return state;
  // A folder holding a run is continued (resume), discarded (restart) or refused, never overwritten.
  const prepared = await prepareRunFolder(out, { resume: options.resume === true, restart: options.restart === true }, {
    epochs: settings.epochs,
    given: { seed, batchSize: settings.batchSize, workers: settings.workers, ...(options.singleTask !== undefined ? { singleTask: options.singleTask } : {}) },
  });
  if (prepared.note) progress.line(prepared.note);
  const data = options.inputs ? 'tensors (inputs/targets)' : options.dataset ? 'a tf.data dataset' : plan.data.format === 'multimnist' ? `built-in MultiMNIST (${plan.data.trainSize ?? 6000} train, ${plan.data.testSize ?? 1000} test)` : plan.data.path;
  const digest = options.inputs || options.dataset ? undefined : await dataDigest(plan.data);
  if (options.resume) await refuseOtherData(out, digest, data);
  await fs.mkdir(out, { recursive: true });
  const previous = options.resume ? await readRunInfo(out) : undefined;
  if (options.resume) await resume(out, plan, options, model, groups, logVars, state, progress);
  const info: RunInfo = {
    modelName: plan.modelName,
    specHash: plan.specHash,
    tasks: plan.tasks.map((t) => t.name),
    ...(options.singleTask !== undefined ? { singleTask: options.singleTask } : {}),
    seed,
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    backend: selection.name,
    workers: settings.workers,
    data,
    ...(digest !== undefined ? { dataDigest: digest } : {}),
    startedAt: previous?.startedAt ?? new Date().toISOString(),
  };
  await writeAtomic(path.join(out, RUN_FILE), `${JSON.stringify(info, null, 2)}\n`);
  // metrics.jsonl holds exactly the epochs of the checkpoint we continue from.
  await writeAtomic(path.join(out, METRICS_FILE), state.history.map((h) => `${JSON.stringify(h)}\n`).join(''));
  return state;
}

async function resume(
  out: string,
  plan: TrainingPlan,
  options: TrainOptions,
  model: tf.LayersModel,
  groups: EpochContext['groups'],
  logVars: Record<string, tf.Variable>,
  state: RunState,
  progress: Progress,
): Promise<void> {
  const dir = await findCheckpoint(out);
  if (!dir) {
    progress.line(`resume: no checkpoint in ${out}; starting from epoch 1`);
    return;
  }
  const saved = await readCheckpointState(dir);
  if (saved.specHash !== plan.specHash) {
    throw new TrainingError(`--resume: the checkpoint in ${dir} was made from a different spec (hash ${saved.specHash.slice(0, 12)}, now ${plan.specHash.slice(0, 12)}); use another --out or drop --resume`);
  }
  if (saved.engine !== undefined && saved.engine !== 'tfjs') {
    throw new TrainingError(`--resume: the checkpoint in ${dir} was written by the ${saved.engine} engine; resume it with --engine ${saved.engine}, or use another --out`);
  }
  if ((saved.singleTask ?? undefined) !== options.singleTask) {
    throw new TrainingError(`--resume: the checkpoint in ${dir} was made with${saved.singleTask ? ` --single-task ${saved.singleTask}` : 'out --single-task'}; pass the same options`);
  }
  const weights = await loadSavedWeights(path.join(dir, MODEL_DIR));
  // The same spec can build another model (--variant): weights are assigned by name, so a
  // checkpoint of the stitched model would continue as, say, the independent one, silently.
  try {
    refuseAnotherModel(dir, Object.keys(weights), model.weights.map((w) => w.originalName));
  } catch (e) {
    tf.dispose(Object.values(weights));
    throw e;
  }
  assignWeights(model, weights);
  tf.dispose(Object.values(weights));
  for (const { name, optimizer } of groups) {
    if (!saved.optimizers.includes(name)) continue;
    const optimizerWeights = await loadOptimizerWeights(dir, name);
    await optimizer.setWeights(optimizerWeights);
    tf.dispose(optimizerWeights.map((w) => w.tensor));
  }
  for (const [t, v] of Object.entries(saved.logVariance ?? {})) logVars[t]?.assign(tf.scalar(v));
  state.rng = new Rng(saved.rng);
  state.startEpoch = saved.epoch;
  state.history.push(...saved.history);
  state.lossHistory.push(...saved.lossHistory);
  progress.line(`resume: continuing after epoch ${state.startEpoch} from ${dir}`);
}

/**
 * A checkpoint's weights are the model's, by name, or --resume is refused (both engines; the torch
 * engine's Python runtime says the same for a job run by hand).
 */
export function refuseAnotherModel(dir: string, checkpointNames: readonly string[], modelNames: readonly string[]): void {
  const mine = new Set(modelNames);
  const saved = new Set(checkpointNames);
  const lacking = checkpointNames.filter((n) => !mine.has(n));
  const extra = modelNames.filter((n) => !saved.has(n));
  if (lacking.length === 0 && extra.length === 0) return;
  const list = (names: string[]) => `${names.slice(0, 4).join(', ')}${names.length > 4 ? ` and ${names.length - 4} more` : ''}`;
  const differences = [...(lacking.length > 0 ? [`the checkpoint has ${list(lacking)}, which this model lacks`] : []), ...(extra.length > 0 ? [`this model has ${list(extra)}, which the checkpoint lacks`] : [])];
  throw new TrainingError(`--resume: the checkpoint in ${dir} is of another model (${differences.join('; ')}); was the run trained with another --variant? Resume it with the same one, or use another --out`);
}

/** After each epoch: the checkpoint (model, optimizers, state), then its line in metrics.jsonl. */
async function saveEpoch(
  out: string,
  plan: TrainingPlan,
  options: TrainOptions,
  settings: Settings,
  model: tf.LayersModel,
  groups: EpochContext['groups'],
  state: RunState,
  record: EpochRecord,
  alphas: readonly JunctionAlpha[],
): Promise<void> {
  await saveCheckpoint(out, model, Object.fromEntries(groups.map((g) => [g.name, g.optimizer])), {
    modelName: plan.modelName,
    specHash: plan.specHash,
    epoch: record.epoch,
    seed: settings.seed,
    rng: state.rng.state(),
    history: state.history,
    lossHistory: state.lossHistory,
    ...(record.logVariance ? { logVariance: record.logVariance } : {}),
    ...(options.singleTask !== undefined ? { singleTask: options.singleTask } : {}),
  }, alphas);
  await appendLine(path.join(out, METRICS_FILE), JSON.stringify(record));
}
