/**
 * The training loop (issue 5). A custom loop rather than `model.fit`, so α (the weights of
 * `CrossStitch` layers) can have its own optimizer: same type as the towers', learning rate ×
 * `crossStitchLearningRateMultiplier`, its own state (PRODUCT.md §1: a gradient scale would be
 * cancelled by Adam and RMSProp).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../backend.js';
import { withOwnStorage } from '../tensor-storage.js';
import { DatasetSource, TensorSource } from '../data/memory.js';
import { loadData } from '../data/index.js';
import type { BatchSource } from '../data/types.js';
import { fileSystemHandler } from '../io/index.js';
import type { TrainingPlan } from '../plan.js';
import { Rng, deriveSeed, withRng } from '../random.js';
import { assignWeights, findCheckpoint, loadOptimizerWeights, loadSavedWeights, readCheckpointState, saveCheckpoint, writeAtomic } from './checkpoint.js';
import { lazyConvGradients } from './conv-gradients.js';
import { DataParallel, dataParallelObstacles, type ShardResult } from './data-parallel.js';
import { objective, outputIndex, taskRuntimes, type TaskRuntime } from './objective.js';
import { createOptimizer } from './optimizers.js';
import { Progress } from './progress.js';
import type { BuiltModel, EpochRecord, JunctionAlpha, ModelBuilder, TrainOptions, TrainResult } from './types.js';
export { formatAlphas } from './format.js';

export const CROSS_STITCH_CLASS = 'CrossStitch';
export const METRICS_FILE = 'metrics.jsonl';
export const ALPHAS_FILE = 'alphas.json';
export const RUN_FILE = 'run.json';
export const MODEL_DIR = 'model';

/** A user's mistake in training options or data: printed without a stack trace. */
/**
 * Worker threads rebuild the model from its topology, so a layer class registered only on the
 * main thread (a plugin's runtime layer) is unknown there: say so instead of tfjs's message.
 */
async function startWorkers<T>(workers: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (e) {
    const unknown = /Unknown layer: (\w+)/.exec(e instanceof Error ? e.message : String(e));
    if (!unknown) throw e;
    throw new TrainingError(
      `workers ${workers}: the worker threads cannot build layer class ${unknown[1]} (a plugin's runtime layer is registered on the main thread only); use workers 1`,
    );
  }
}

export class TrainingError extends Error {
  override readonly name = 'TrainingError';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

export function isCrossStitchLayer(layer: tf.layers.Layer): boolean {
  return layer.getClassName() === CROSS_STITCH_CLASS;
}

/** α as identity: [N,N] eye, [N,N,C] eye per channel, [D,D] eye (unit mode). */
export function identityLike(shape: readonly number[]): tf.Tensor {
  return tf.tidy(() => {
    const n = shape[0]!;
    const eye = tf.eye(n);
    if (shape.length === 2) return eye;
    return tf.tile(tf.reshape(eye, [n, n, 1]), [1, 1, shape[2]!]);
  });
}

/** The learned α per junction. */
export function readAlphas(built: BuiltModel): JunctionAlpha[] {
  const model = built.model;
  const out: JunctionAlpha[] = [];
  const junctions =
    built.junctions.length > 0
      ? built.junctions
      : model.layers.filter(isCrossStitchLayer).map((l) => ({ name: l.name, layerName: l.name, mode: ((l.getConfig() as { mode?: string }).mode ?? 'channel') as JunctionAlpha['mode'], towers: [] as string[] }));
  for (const j of junctions) {
    let layer: tf.layers.Layer;
    try {
      layer = model.getLayer(j.layerName);
    } catch {
      continue;
    }
    const w = layer.getWeights()[0];
    if (!w) continue;
    out.push({ name: j.name, layerName: j.layerName, mode: j.mode, towers: [...j.towers], shape: [...w.shape], values: w.arraySync() });
  }
  return out;
}

function modelDirOf(dir: string): Promise<string> {
  const candidates = [path.join(dir, MODEL_DIR), path.join(dir, 'checkpoint', MODEL_DIR), dir];
  return (async () => {
    for (const c of candidates) {
      try {
        await fs.access(path.join(c, 'model.json'));
        return c;
      } catch {
        // next
      }
    }
    throw new TrainingError(`--init-from ${dir}: no model.json in ${candidates.join(', ')}`);
  })();
}

async function appendLine(file: string, line: string): Promise<void> {
  const h = await fs.open(file, 'a');
  try {
    await h.writeFile(`${line}\n`);
    await h.sync();
  } finally {
    await h.close();
  }
}

export async function trainModel<Task extends string>(plan: TrainingPlan, build: ModelBuilder<Task>, options: TrainOptions<Task> = {}): Promise<TrainResult<Task>> {
  // The backend first: variables live on a backend.
  const selection = await selectBackend(options.backend, { defaultChoice: plan.backend });
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
  const out = options.out;
  const progress = new Progress(options.quiet ? null : (options.progress ?? { write: (s) => void process.stderr.write(s), isTTY: Boolean(process.stderr.isTTY) }), epochs);

  const taskNames = plan.tasks.map((t) => t.name);
  if (options.singleTask !== undefined && !taskNames.includes(options.singleTask)) {
    throw new TrainingError(`--single-task: unknown task '${options.singleTask}'; tasks: ${taskNames.join(', ')}`);
  }
  const active = plan.tasks.filter((t) => options.singleTask === undefined || t.name === options.singleTask);
  const tasks: TaskRuntime[] = taskRuntimes(active);

  const built = build({ seed });
  const model = built.model;
  // The image needs no gradient: first-layer convolutions skip computing it (same math).
  lazyConvGradients(model);
  const obstacles = workers > 1 ? dataParallelObstacles(model) : [];
  if (obstacles.length > 0) {
    model.dispose();
    throw new TrainingError(`workers ${workers}: data-parallel training would change the math of ${obstacles.join(', ')} (batch statistics or random draws per thread); use workers 1`);
  }
  const outIdx = outputIndex(model, built.tasks);
  const csLayers = model.layers.filter(isCrossStitchLayer);

  // --single-task: α frozen to identity, so the task's tower sees only its own activations.
  if (options.singleTask !== undefined) {
    for (const layer of csLayers) {
      const w = layer.getWeights();
      const id = w.map((t) => identityLike(t.shape));
      layer.setWeights(id);
      tf.dispose(id);
      layer.trainable = false;
    }
  }

  const resources: tf.Tensor[] = [];
  const onDispose: (() => void)[] = [];
  try {
    // --init-from: towers from single-task runs, by layer name (α is never copied).
    for (const dir of options.initFrom ?? []) {
      const modelDir = await modelDirOf(dir);
      let only: string | undefined;
      try {
        only = (JSON.parse(await fs.readFile(path.join(dir, RUN_FILE), 'utf8')) as { singleTask?: string }).singleTask;
      } catch {
        only = undefined;
      }
      const saved = await loadSavedWeights(modelDir);
      const copied = assignWeights(model, saved, (name) => {
        const layer = model.getLayer(name);
        if (isCrossStitchLayer(layer)) return false;
        return only === undefined || name === only || name.startsWith(`${only}_`);
      });
      tf.dispose(Object.values(saved));
      progress.line(`init-from ${dir}: ${copied.length} layer(s)${only ? ` of task '${only}'` : ''} loaded`);
    }

    const alphaVars = new Set<string>();
    const alphaList: tf.Variable[] = [];
    for (const layer of csLayers) {
      if (!layer.trainable) continue;
      for (const w of layer.trainableWeights) {
        const v = w.read() as tf.Variable;
        alphaVars.add(v.name);
        alphaList.push(v);
      }
    }
    const towerList: tf.Variable[] = [];
    for (const w of model.trainableWeights) {
      const v = w.read() as tf.Variable;
      if (alphaVars.has(v.name)) continue;
      if (options.singleTask !== undefined) {
        const layerName = w.originalName.split('/')[0]!;
        if (!(layerName === options.singleTask || layerName.startsWith(`${options.singleTask}_`))) continue;
      }
      towerList.push(v);
    }
    if (options.singleTask !== undefined && towerList.length === 0) {
      for (const w of model.trainableWeights) if (!alphaVars.has((w.read() as tf.Variable).name)) towerList.push(w.read() as tf.Variable);
    }

    const weighting = plan.taskWeighting.type;
    const logVars: Record<string, tf.Variable> = {};
    if (weighting === 'uncertainty') {
      for (const t of active) {
        logVars[t.name] = tf.variable(tf.scalar(0), true);
      }
      Object.values(logVars).forEach((v) => resources.push(v));
    }
    const mainVars = [...towerList, ...Object.values(logVars)];
    const mainOpt = createOptimizer(plan.optimizer);
    const alphaOpt = alphaList.length > 0 ? createOptimizer(plan.optimizer, plan.optimizer.learningRate * plan.crossStitchLearningRateMultiplier) : null;
    onDispose.push(() => mainOpt.dispose(), () => alphaOpt?.dispose());
    const optimizers: Record<string, tf.Optimizer> = alphaOpt ? { main: mainOpt, alpha: alphaOpt } : { main: mainOpt };
    const gradVars = mainVars.concat(alphaList);
    const parallel = workers > 1 ? await startWorkers(workers, () => DataParallel.start(workers, model, selection.name, active, built.tasks, gradVars, logVars)) : null;
    if (parallel) onDispose.push(() => void parallel.close());

    // Data.
    let train: BatchSource;
    let val: BatchSource | undefined;
    if (options.inputs) {
      if (!options.targets) throw new TrainingError('inputs given without targets');
      // Tensors cast on cpu before the runtime loaded hold int bits that wasm would read as floats.
      const own = <T extends tf.Tensor>(t: T): T => {
        const o = withOwnStorage(t);
        if (o !== t) resources.push(o);
        return o;
      };
      const targets = Object.fromEntries(Object.entries(options.targets as Record<string, tf.Tensor>).map(([task, t]) => [task, own(t)]));
      const all = new TensorSource('inputs', own(options.inputs), targets);
      const s = options.validationDataset ? { train: all, val: undefined, dispose: () => {} } : all.split(validationSplit);
      train = s.train;
      val = s.val ?? (options.validationDataset ? new DatasetSource('validation dataset', options.validationDataset) : undefined);
      onDispose.push(s.dispose);
    } else if (options.dataset) {
      train = new DatasetSource('dataset', options.dataset);
      val = options.validationDataset ? new DatasetSource('validation dataset', options.validationDataset) : undefined;
    } else {
      const loaded = await loadData(plan, { seed, validationSplit });
      train = loaded.train;
      val = loaded.val;
      onDispose.push(loaded.dispose);
    }

    // State (restored on --resume).
    let rng = new Rng(deriveSeed(seed, 0x5eed));
    let startEpoch = 0;
    const history: EpochRecord[] = [];
    const lossHistory: Record<string, number>[] = [];
    if (out) await fs.mkdir(out, { recursive: true });
    if (out && options.resume) {
      const dir = await findCheckpoint(out);
      if (!dir) {
        progress.line(`resume: no checkpoint in ${out}; starting from epoch 1`);
      } else {
        const state = await readCheckpointState(dir);
        if (state.specHash !== plan.specHash) {
          throw new TrainingError(`--resume: the checkpoint in ${dir} was made from a different spec (hash ${state.specHash.slice(0, 12)}, now ${plan.specHash.slice(0, 12)}); use another --out or drop --resume`);
        }
        if ((state.singleTask ?? undefined) !== options.singleTask) {
          throw new TrainingError(`--resume: the checkpoint in ${dir} was made with${state.singleTask ? ` --single-task ${state.singleTask}` : 'out --single-task'}; pass the same options`);
        }
        const saved = await loadSavedWeights(path.join(dir, MODEL_DIR));
        assignWeights(model, saved);
        tf.dispose(Object.values(saved));
        for (const [group, opt] of Object.entries(optimizers)) {
          if (!state.optimizers.includes(group)) continue;
          const weights = await loadOptimizerWeights(dir, group);
          await opt.setWeights(weights);
          tf.dispose(weights.map((w) => w.tensor));
        }
        for (const [t, v] of Object.entries(state.logVariance ?? {})) logVars[t]?.assign(tf.scalar(v));
        rng = new Rng(state.rng);
        startEpoch = state.epoch;
        history.push(...state.history);
        lossHistory.push(...state.lossHistory);
        progress.line(`resume: continuing after epoch ${startEpoch} from ${dir}`);
      }
    }
    if (out) {
      await writeAtomic(
        path.join(out, RUN_FILE),
        `${JSON.stringify({ modelName: plan.modelName, specHash: plan.specHash, tasks: taskNames, singleTask: options.singleTask, seed, epochs, batchSize, backend: selection.name }, null, 2)}\n`,
      );
      // metrics.jsonl holds exactly the epochs of the checkpoint we continue from.
      await writeAtomic(path.join(out, METRICS_FILE), history.map((h) => `${JSON.stringify(h)}\n`).join(''));
    }
    progress.line(`${selection.summary}; ${active.length} task(s), ${train.size ?? '?'} training examples${val ? `, ${val.size ?? '?'} validation` : ''}`);

    const lw = (t: TaskRuntime): number => t.plan.lossWeight;

    for (let epoch = startEpoch; epoch < epochs; epoch++) {
      // Task weights for this epoch.
      const dynamic: Record<string, number> = {};
      for (const t of tasks) dynamic[t.plan.name] = 1;
      if (weighting === 'dwa' && lossHistory.length >= 2) {
        const T = plan.taskWeighting.temperature ?? 2;
        const last = lossHistory[lossHistory.length - 1]!;
        const prev = lossHistory[lossHistory.length - 2]!;
        const r = tasks.map((t) => last[t.plan.name]! / Math.max(prev[t.plan.name]!, 1e-12));
        const e = r.map((x) => Math.exp(x / T));
        const sum = e.reduce((a, b) => a + b, 0);
        tasks.forEach((t, i) => (dynamic[t.plan.name] = (tasks.length * e[i]!) / sum));
      }

      const sums = tasks.map(() => 0);
      const metricSums = tasks.map((t) => t.metrics.map(() => 0));
      let totalSum = 0;
      let seen = 0;
      let batches = 0;
      progress.startEpoch(epoch + 1, train.size);
      for await (const batch of train.batches(batchSize, deriveSeed(seed, epoch + 1))) {
        // One shard's objective and gradients (the whole batch unless training is data-parallel).
        const shard = (xs: tf.Tensor, ys: Record<string, tf.Tensor>): ShardResult =>
          withRng(rng, () => {
            let kept: { losses: tf.Tensor; metrics: tf.Tensor | null } | null = null;
            const { value, grads } = tf.variableGrads(() => {
              const o = objective({ model, tasks, outIdx, logVars, dynamic }, xs, ys, (task) => new TrainingError(`the data has no targets for task '${task}'`));
              kept = { losses: o.losses, metrics: o.metrics };
              return o.total;
            }, gradVars);
            const k = kept as unknown as { losses: tf.Tensor; metrics: tf.Tensor | null };
            return { value, grads, losses: k.losses, metrics: k.metrics };
          });
        const { value: total, grads, losses, metrics } = parallel ? await parallel.step(batch.xs, batch.ys, dynamic, shard) : shard(batch.xs, batch.ys);
        const mainGrads: tf.NamedTensorMap = {};
        const alphaGrads: tf.NamedTensorMap = {};
        for (const v of mainVars) if (grads[v.name]) mainGrads[v.name] = grads[v.name]!;
        for (const v of alphaList) if (grads[v.name]) alphaGrads[v.name] = grads[v.name]!;
        mainOpt.applyGradients(mainGrads);
        if (alphaOpt && Object.keys(alphaGrads).length > 0) alphaOpt.applyGradients(alphaGrads);
        tf.dispose(grads);
        const [lv, mv, tv] = await Promise.all([losses.data(), metrics ? metrics.data() : Promise.resolve(new Float32Array()), total.data()]);
        tf.dispose([losses, metrics, total, batch.xs, ...Object.values(batch.ys)].filter((t): t is tf.Tensor => t !== null));
        let mi = 0;
        tasks.forEach((t, i) => {
          sums[i]! += lv[i]! * batch.size;
          t.metrics.forEach((_, j) => {
            metricSums[i]![j]! += mv[mi++]! * batch.size;
          });
        });
        if (!Number.isFinite(tv[0]!)) {
          throw new TrainingError(`epoch ${epoch + 1}, batch ${batches + 1}: the loss is ${tv[0]} (diverged); lower the learning rate or check the data`, 1);
        }
        totalSum += tv[0]!;
        seen += batch.size;
        batches++;
        progress.batch(batch.size, Object.fromEntries(tasks.map((t, i) => [t.plan.name, lv[i]!])), train.size);
      }
      if (seen === 0) throw new TrainingError(`${train.describe}: no training examples`);

      const record: EpochRecord = {
        epoch: epoch + 1,
        loss: totalSum / batches,
        tasks: {},
        examples: seen,
      };
      const logVarValues: Record<string, number> = {};
      for (const [t, v] of Object.entries(logVars)) logVarValues[t] = (await v.data())[0]!;
      tasks.forEach((t, i) => {
        const name = t.plan.name;
        const weight = logVars[name] ? Math.exp(-logVarValues[name]!) * lw(t) : dynamic[name]! * lw(t);
        record.tasks[name] = { loss: sums[i]! / seen, weight, metrics: Object.fromEntries(t.metrics.map((m, j) => [m.name, metricSums[i]![j]! / seen])) };
      });
      if (weighting === 'uncertainty') record.logVariance = logVarValues;
      if (val) record.val = await evaluate(model, outIdx, tasks, val, batchSize);
      lossHistory.push(Object.fromEntries(tasks.map((t, i) => [t.plan.name, sums[i]! / seen])));
      history.push(record);
      if (out) {
        await saveCheckpoint(out, model, optimizers, {
          modelName: plan.modelName,
          specHash: plan.specHash,
          epoch: epoch + 1,
          seed,
          rng: rng.state(),
          history,
          lossHistory,
          ...(weighting === 'uncertainty' ? { logVariance: logVarValues } : {}),
          ...(options.singleTask !== undefined ? { singleTask: options.singleTask } : {}),
        });
        await appendLine(path.join(out, METRICS_FILE), JSON.stringify(record));
      }
      progress.endEpoch(record);
      await options.onEpochEnd?.(record);
    }

    const alphas = readAlphas(built);
    if (out) {
      await model.save(fileSystemHandler(path.join(out, MODEL_DIR)));
      await writeAtomic(path.join(out, ALPHAS_FILE), `${JSON.stringify({ modelName: plan.modelName, alphas }, null, 1)}\n`);
    }
    return { model, built, history, alphas, backend: selection.name, ...(out ? { out } : {}) };
  } finally {
    for (const d of onDispose) d();
    tf.dispose(resources);
  }
}

async function evaluate(
  model: tf.LayersModel,
  outIdx: Map<string, number>,
  tasks: TaskRuntime[],
  source: BatchSource,
  batchSize: number,
): Promise<NonNullable<EpochRecord['val']>> {
  const sums = tasks.map(() => 0);
  const metricSums = tasks.map((t) => t.metrics.map(() => 0));
  let seen = 0;
  let total = 0;
  for await (const batch of source.batches(batchSize, null)) {
    const stats = tf.tidy(() => {
      const outputs = model.apply(batch.xs, { training: false }) as tf.Tensor | tf.Tensor[];
      const outs = Array.isArray(outputs) ? outputs : [outputs];
      const vals: tf.Scalar[] = [];
      for (const t of tasks) {
        const y = batch.ys[t.plan.name]!;
        const p = outs[outIdx.get(t.plan.name)!]!;
        vals.push(tf.mean(t.loss(y, p)) as tf.Scalar);
        for (const m of t.metrics) vals.push(tf.mean(m.fn(y, p)) as tf.Scalar);
      }
      return tf.stack(vals);
    });
    const v = await stats.data();
    tf.dispose([stats, batch.xs, ...Object.values(batch.ys)]);
    let k = 0;
    tasks.forEach((t, i) => {
      sums[i]! += v[k++]! * batch.size;
      t.metrics.forEach((_, j) => (metricSums[i]![j]! += v[k++]! * batch.size));
    });
    seen += batch.size;
  }
  const res: NonNullable<EpochRecord['val']> = { loss: 0, tasks: {} };
  tasks.forEach((t, i) => {
    const l = sums[i]! / Math.max(seen, 1);
    total += l * t.plan.lossWeight;
    res.tasks[t.plan.name] = { loss: l, metrics: Object.fromEntries(t.metrics.map((m, j) => [m.name, metricSums[i]![j]! / Math.max(seen, 1)])) };
  });
  res.loss = total;
  return res;
}
