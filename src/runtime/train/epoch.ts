/**
 * One epoch: the tasks' weights for it, every batch's objective, gradients and optimizer steps
 * (tower weights and junction parameters in their own groups), the epoch's record; and the
 * validation pass.
 */
import * as tf from '@tensorflow/tfjs';
import type { TaskWeightingPlan } from '../plan.js';
import type { BatchSource } from '../data/types.js';
import { type Rng, deriveSeed, withRng } from '../random.js';
import type { DataParallel, ShardLabels, ShardResult } from './data-parallel.js';
import { TrainingError } from './errors.js';
import { labelCounts, objective, taskValues, type TaskRuntime } from './objective.js';
import type { Progress } from './progress.js';
import type { EpochRecord } from './types.js';

/** What every epoch of a run shares. */
export interface EpochContext {
  model: tf.LayersModel;
  tasks: TaskRuntime[];
  outIdx: Map<string, number>;
  weighting: TaskWeightingPlan;
  /** Uncertainty weighting: learned log σ² per task (empty otherwise). */
  logVars: Record<string, tf.Variable>;
  /** The optimizer groups: `main` (tower weights, log σ²) and the junctions' (`alpha`, and kinds' own multipliers). */
  groups: { name: string; optimizer: tf.Optimizer; variables: tf.Variable[]; learningRate?: number; multiplier?: number; initialMaxAbs?: number }[];
  /** α's learning-rate multiplier (for the advice when training diverges). */
  alphaMultiplier?: number;
  parallel: DataParallel | null;
  train: BatchSource;
  val: BatchSource | undefined;
  batchSize: number;
  seed: number;
  progress: Progress;
}

/**
 * Dynamic weight average (Liu et al. 2019): a task whose loss fell slowly over the last two
 * epochs weighs more. Fixed and uncertainty weighting: 1 for every task (lossWeight applies on top).
 */
export function taskWeightsForEpoch(tasks: readonly TaskRuntime[], weighting: TaskWeightingPlan, lossHistory: readonly Record<string, number>[]): Record<string, number> {
  const dynamic: Record<string, number> = {};
  for (const t of tasks) dynamic[t.plan.name] = 1;
  if (weighting.type === 'dwa' && lossHistory.length >= 2) {
    const T = weighting.temperature ?? 2;
    const last = lossHistory[lossHistory.length - 1]!;
    const prev = lossHistory[lossHistory.length - 2]!;
    const r = tasks.map((t) => last[t.plan.name]! / Math.max(prev[t.plan.name]!, 1e-12));
    const e = r.map((x) => Math.exp(x / T));
    const sum = e.reduce((a, b) => a + b, 0);
    tasks.forEach((t, i) => (dynamic[t.plan.name] = (tasks.length * e[i]!) / sum));
  }
  return dynamic;
}

/** Trains one epoch (0-based `epoch`) and returns its record and its per-task mean losses. */
export async function trainEpoch(
  ctx: EpochContext,
  epoch: number,
  rng: Rng,
  lossHistory: readonly Record<string, number>[],
): Promise<{ record: EpochRecord; taskLosses: Record<string, number> }> {
  const { model, tasks, outIdx, logVars, train, progress } = ctx;
  const dynamic = taskWeightsForEpoch(tasks, ctx.weighting, lossHistory);
  const gradVars = ctx.groups.flatMap((g) => g.variables);
  const sums = tasks.map(() => 0);
  const metricSums = tasks.map((t) => t.metrics.map(() => 0));
  // Per task, the examples its means are over: all of them, or its labelled ones.
  const labelled = tasks.map(() => 0);
  let partial = false;
  let totalSum = 0;
  let seen = 0;
  let batches = 0;
  progress.startEpoch(epoch + 1, train.size);
  for await (const batch of train.batches(ctx.batchSize, deriveSeed(ctx.seed, epoch + 1))) {
    // One shard's objective and gradients (the whole batch unless training is data-parallel).
    const shard = (xs: tf.Tensor, ys: Record<string, tf.Tensor>, labels?: ShardLabels): ShardResult =>
      withRng(rng, () => {
        let kept: { losses: tf.Tensor; metrics: tf.Tensor | null } | null = null;
        const { value, grads } = tf.variableGrads(() => {
          const o = objective({ model, tasks, outIdx, logVars, dynamic }, xs, ys, (task) => new TrainingError(`the data has no targets for task '${task}'`, 1), labels);
          kept = { losses: o.losses, metrics: o.metrics };
          return o.total;
        }, gradVars);
        const k = kept as unknown as { losses: tf.Tensor; metrics: tf.Tensor | null };
        return { value, grads, losses: k.losses, metrics: k.metrics };
      });
    const counts = labelCounts(batch.labelled);
    const labels: ShardLabels | undefined = batch.labelled ? { masks: batch.labelled, denominators: counts } : undefined;
    if (labels) partial = true;
    const { value: total, grads, losses, metrics } = ctx.parallel ? await ctx.parallel.step(batch.xs, batch.ys, dynamic, shard, labels) : shard(batch.xs, batch.ys, labels);
    const [lv, mv, tv] = await Promise.all([losses.data(), metrics ? metrics.data() : Promise.resolve(new Float32Array()), total.data()]);
    tf.dispose([losses, metrics, total, batch.xs, ...Object.values(batch.ys), ...Object.values(batch.labelled ?? {})].filter((t): t is tf.Tensor => t !== null));
    if (!Number.isFinite(tv[0]!)) {
      // Before this step: the weights that gave a non-finite loss say which group blew up.
      tf.dispose(grads);
      throw new TrainingError(`epoch ${epoch + 1}, batch ${batches + 1}: the loss is ${tv[0]} (diverged). ${await divergenceCause(ctx)}`, 1);
    }
    applyGradients(ctx.groups, grads);
    tf.dispose(grads);
    let mi = 0;
    tasks.forEach((t, i) => {
      const n = counts[t.plan.name] ?? batch.size;
      labelled[i]! += n;
      sums[i]! += lv[i]! * n;
      t.metrics.forEach((_, j) => {
        metricSums[i]![j]! += mv[mi++]! * n;
      });
    });
    // Weighted by batch size like the task losses, so the epoch's total is their weighted sum.
    totalSum += tv[0]! * batch.size;
    seen += batch.size;
    batches++;
    progress.batch(batch.size, Object.fromEntries(tasks.map((t, i) => [t.plan.name, lv[i]!])), train.size);
  }
  if (seen === 0) throw new TrainingError(`${train.describe}: no training examples`, 1);

  const record: EpochRecord = { epoch: epoch + 1, loss: totalSum / seen, tasks: {}, examples: seen };
  const logVarValues: Record<string, number> = {};
  for (const [t, v] of Object.entries(logVars)) logVarValues[t] = (await v.data())[0]!;
  tasks.forEach((t, i) => {
    const name = t.plan.name;
    const lossWeight = t.plan.lossWeight;
    const weight = logVars[name] ? Math.exp(-logVarValues[name]!) * lossWeight : dynamic[name]! * lossWeight;
    const over = Math.max(labelled[i]!, 1);
    record.tasks[name] = { loss: sums[i]! / over, weight, metrics: Object.fromEntries(t.metrics.map((m, j) => [m.name, metricSums[i]![j]! / over])) };
  });
  if (partial) record.labelled = Object.fromEntries(tasks.map((t, i) => [t.plan.name, labelled[i]!]));
  if (ctx.weighting.type === 'uncertainty') record.logVariance = logVarValues;
  if (ctx.val) record.val = await evaluate(model, outIdx, tasks, ctx.val, ctx.batchSize);
  return { record, taskLosses: Object.fromEntries(tasks.map((t, i) => [t.plan.name, sums[i]! / Math.max(labelled[i]!, 1)])) };
}

/** The largest |value| over some variables (non-finite when one is). */
export function maxAbs(variables: readonly tf.Variable[]): number {
  if (variables.length === 0) return 0;
  const m = tf.tidy(() => tf.max(tf.stack(variables.map((v) => tf.max(tf.abs(v))))));
  const value = m.dataSync()[0]!;
  m.dispose();
  return value;
}

/**
 * Which group's weights grew the most since training started (or are no longer finite), and what
 * to change: the junctions' α learning rate, or the towers'. Finite weights that did not grow
 * point at the data.
 */
async function divergenceCause(ctx: EpochContext): Promise<string> {
  const growth = ctx.groups
    .filter((g) => g.variables.length > 0)
    .map((g) => {
      const now = maxAbs(g.variables);
      return { g, now, ratio: Number.isFinite(now) ? now / Math.max(g.initialMaxAbs ?? 1, 1e-6) : Number.POSITIVE_INFINITY };
    })
    .sort((a, b) => b.ratio - a.ratio);
  const worst = growth[0];
  if (!worst || (Number.isFinite(worst.now) && worst.ratio < 10)) {
    return 'The weights are finite and did not grow: check the data for huge values, or a loss that does not fit the targets (e.g. a log of 0).';
  }
  const size = Number.isFinite(worst.now) ? `max |w| ${worst.now.toPrecision(3)}, ${worst.ratio.toPrecision(3)}× its start` : 'no longer finite';
  if (worst.g.name !== 'main') {
    const m = worst.g.multiplier ?? ctx.alphaMultiplier;
    const what = worst.g.name === 'alpha' ? 'lower training.crossStitchLearningRateMultiplier' : 'lower the junction kind\'s learning-rate multiplier, or training.optimizer.learningRate';
    return `The junction parameters α blew up (group '${worst.g.name}', learning rate ${worst.g.learningRate ?? '?'}${m !== undefined ? ` = learningRate × ${m}` : ''}; ${size}): ${what}${m !== undefined && worst.g.name === 'alpha' ? ` (e.g. ${m >= 10 ? m / 10 : m / 2})` : ''}; see "Choosing the multiplier" in docs/training.md.`;
  }
  return `The tower weights blew up (group '${worst.g.name}', learning rate ${worst.g.learningRate ?? '?'}; ${size}): lower training.optimizer.learningRate${worst.g.learningRate !== undefined ? ` (e.g. ${worst.g.learningRate / 10})` : ''}, or normalise the inputs.`;
}

/** Each optimizer group steps on its own variables' gradients. */
function applyGradients(groups: EpochContext['groups'], grads: tf.NamedTensorMap): void {
  for (const group of groups) {
    if (!group.variables.some((v) => grads[v.name])) {
      if (group.name === 'main') group.optimizer.applyGradients({});
      continue;
    }
    // Every variable of the group, a zero gradient for one the step did not reach (a task with no
    // label in the batch): tfjs optimizers keep their state by position in this map, so a missing
    // entry would hand the next variable's momentum or moments to the wrong weight.
    const mine: tf.NamedTensorMap = {};
    const zeros: tf.Tensor[] = [];
    for (const v of group.variables) {
      const g = grads[v.name];
      if (g) mine[v.name] = g;
      else zeros.push((mine[v.name] = tf.zerosLike(v)));
    }
    group.optimizer.applyGradients(mine);
    tf.dispose(zeros);
  }
}

/** Loss and metrics over a validation source, in inference mode. */
export async function evaluate(
  model: tf.LayersModel,
  outIdx: Map<string, number>,
  tasks: TaskRuntime[],
  source: BatchSource,
  batchSize: number,
): Promise<NonNullable<EpochRecord['val']>> {
  const sums = tasks.map(() => 0);
  const metricSums = tasks.map((t) => t.metrics.map(() => 0));
  const labelled = tasks.map(() => 0);
  let total = 0;
  for await (const batch of source.batches(batchSize, null)) {
    const counts = labelCounts(batch.labelled);
    const stats = tf.tidy(() => {
      const outputs = model.apply(batch.xs, { training: false }) as tf.Tensor | tf.Tensor[];
      const outs = Array.isArray(outputs) ? outputs : [outputs];
      const vals: tf.Scalar[] = [];
      for (const t of tasks) {
        const p = outs[outIdx.get(t.plan.name)!]!;
        const y = batch.ys[t.plan.name]!;
        // Means over the labelled examples, as in training.
        const v = taskValues(t, y, p, batch.labelled?.[t.plan.name], counts[t.plan.name]);
        vals.push(v.loss, ...v.metrics);
      }
      return tf.stack(vals);
    });
    const v = await stats.data();
    tf.dispose([stats, batch.xs, ...Object.values(batch.ys), ...Object.values(batch.labelled ?? {})]);
    let k = 0;
    tasks.forEach((t, i) => {
      const n = counts[t.plan.name] ?? batch.size;
      labelled[i]! += n;
      sums[i]! += v[k++]! * n;
      t.metrics.forEach((_, j) => (metricSums[i]![j]! += v[k++]! * n));
    });
  }
  const res: NonNullable<EpochRecord['val']> = { loss: 0, tasks: {} };
  tasks.forEach((t, i) => {
    const over = Math.max(labelled[i]!, 1);
    const l = sums[i]! / over;
    total += l * t.plan.lossWeight;
    res.tasks[t.plan.name] = { loss: l, metrics: Object.fromEntries(t.metrics.map((m, j) => [m.name, metricSums[i]![j]! / over])) };
  });
  res.loss = total;
  return res;
}
