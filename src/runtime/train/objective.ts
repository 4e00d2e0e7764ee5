/**
 * The training objective of one batch: the weighted sum of the tasks' mean losses (fixed, DWA
 * or uncertainty weighting), with each task's loss and metrics kept for reporting. One
 * definition, used by the training loop and by its data-parallel workers.
 *
 * Partially labelled data: a task's loss and metrics are means over the examples that carry its
 * label (`TaskLabels`); unlabelled examples give that task no loss and no gradient. A task with
 * no label in the whole batch contributes nothing to the objective, its uncertainty term
 * (log σ²) included, so σ is not pulled toward 0 by batches that cannot measure the task; DWA
 * reads epoch means, which the loop takes over labelled examples only.
 */
import * as tf from '@tensorflow/tfjs';
import { isJunctionLayer } from '../junction.js';
import type { TaskPlan } from '../plan.js';
import { lossFunction, metricFunction } from './losses.js';

export interface TaskRuntime {
  plan: TaskPlan;
  loss: (y: tf.Tensor, p: tf.Tensor) => tf.Tensor;
  metrics: { name: string; fn: (y: tf.Tensor, p: tf.Tensor) => tf.Tensor }[];
}

export function taskRuntimes(plans: readonly TaskPlan[]): TaskRuntime[] {
  return plans.map((t) => ({
    plan: t,
    loss: lossFunction(t.loss),
    metrics: t.metrics.map((m) => ({ name: m, fn: metricFunction(m, t.loss) })),
  }));
}

/** Model output index per task (outputs are named after tasks). */
export function outputIndex(model: tf.LayersModel, tasks: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  model.outputNames.forEach((name, i) => {
    const t = tasks.find((task) => name === task || name.startsWith(`${task}/`));
    if (t !== undefined && !m.has(t)) m.set(t, i);
  });
  tasks.forEach((t, i) => {
    if (!m.has(t)) m.set(t, i);
  });
  return m;
}

export interface ObjectiveContext {
  model: tf.LayersModel;
  tasks: readonly TaskRuntime[];
  outIdx: Map<string, number>;
  /** log σ² per task (uncertainty weighting), else empty. */
  logVars: Readonly<Record<string, tf.Variable>>;
  /** This epoch's task weights (DWA; 1 otherwise). */
  dynamic: Readonly<Record<string, number>>;
}

/**
 * Which examples carry each task's label, and the denominator of the task's mean. For a whole
 * batch the denominator is the task's labelled count; a data-parallel shard k of a batch of n
 * uses count · size_k / n, so that the shards' size-weighted mean is the batch's mean over its
 * labelled examples. Tasks absent from `masks` are labelled on every example.
 */
export interface TaskLabels {
  readonly masks: Readonly<Record<string, tf.Tensor1D>>;
  readonly denominators: Readonly<Record<string, number>>;
}

/** Labelled examples per task in a batch's masks (tasks without a mask are absent). */
export function labelCounts(masks: Readonly<Record<string, tf.Tensor1D>> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [task, m] of Object.entries(masks ?? {})) out[task] = (m.dataSync() as Float32Array).reduce((a, b) => a + b, 0);
  return out;
}

/**
 * A task's loss and metrics over a batch: plain means, or with a label mask, means over the
 * labelled examples (Σ over them / `denominator`, default their count). An unlabelled row's
 * target may be anything (NaN is a common "missing"): it is replaced by zeros, for which every
 * loss is finite, and its value is dropped with `where` (a product with the mask would turn
 * 0·NaN into NaN, in the gradient too).
 */
export function taskValues(t: TaskRuntime, y: tf.Tensor, p: tf.Tensor, mask?: tf.Tensor1D, denominator?: number): { loss: tf.Scalar; metrics: tf.Scalar[] } {
  if (!mask) return { loss: tf.mean(t.loss(y, p)) as tf.Scalar, metrics: t.metrics.map((m) => tf.mean(m.fn(y, p)) as tf.Scalar) };
  const keep = tf.greater(mask, 0);
  const rows = tf.reshape(keep, [-1, ...y.shape.slice(1).map(() => 1)]);
  const target = tf.where(rows, y, tf.zerosLike(y));
  // Metrics see no prediction on unlabelled rows either: a per-batch metric (precision) would
  // count their positive predictions.
  const seen = tf.where(tf.reshape(keep, [-1, ...p.shape.slice(1).map(() => 1)]), p, tf.zerosLike(p));
  // A shard's denominator may be a fraction (data-parallel.ts); 0 only when nothing is labelled.
  const count = denominator ?? (mask.dataSync() as Float32Array).reduce((a, b) => a + b, 0);
  const over = count > 0 ? count : 1;
  const mean = (v: tf.Tensor): tf.Scalar => tf.div(tf.sum(tf.where(keep, v, tf.zerosLike(v))), over) as tf.Scalar;
  return { loss: mean(t.loss(target, p)), metrics: t.metrics.map((m) => mean(m.fn(target, seen))) };
}

export interface ObjectiveValue {
  total: tf.Scalar;
  /** [tasks] mean losses, kept (outlives the enclosing tidy/gradient scope). */
  losses: tf.Tensor;
  /** [Σ metrics] means, kept; null without metrics. */
  metrics: tf.Tensor | null;
}

/**
 * Forward in training mode and the objective. Call inside `tf.variableGrads`; `losses` and
 * `metrics` are kept, the caller disposes them. Throws `missingTargets(task)` when the batch
 * has no targets for a task.
 */
export function objective(
  ctx: ObjectiveContext,
  xs: tf.Tensor,
  ys: Readonly<Record<string, tf.Tensor>>,
  missingTargets: (task: string) => Error,
  labels?: TaskLabels,
): ObjectiveValue {
  const outputs = ctx.model.apply(xs, { training: true }) as tf.Tensor | tf.Tensor[];
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const per: tf.Scalar[] = [];
  const mets: tf.Scalar[] = [];
  // Terms are added as they come, and a weight of exactly 1 is not multiplied: 0 + x and x × 1
  // are x bit for bit, so this only saves their kernels, forward and in the gradient.
  let total: tf.Scalar | null = null;
  const add = (term: tf.Scalar): void => void (total = total ? tf.add(total, term) : term);
  const times = (x: tf.Scalar, w: number): tf.Scalar => (w === 1 ? x : tf.mul(x, w));
  for (const t of ctx.tasks) {
    const y = ys[t.plan.name];
    if (!y) throw missingTargets(t.plan.name);
    const p = outs[ctx.outIdx.get(t.plan.name)!]!;
    const mask = labels?.masks[t.plan.name];
    const denominator = labels?.denominators[t.plan.name];
    const v = taskValues(t, y, p, mask, denominator);
    per.push(v.loss);
    mets.push(...v.metrics);
    if (mask && !(denominator! > 0)) continue; // no label for this task in the whole batch
    const s = ctx.logVars[t.plan.name];
    const term = s ? (tf.add(tf.mul(tf.exp(tf.neg(s)), v.loss), s) as tf.Scalar) : times(v.loss, ctx.dynamic[t.plan.name]!);
    add(times(term, t.plan.lossWeight));
  }
  // Junctions' own loss terms (a sluice's orthogonality penalty, NDDR's weight decay).
  for (const layer of ctx.model.layers) {
    const extra = isJunctionLayer(layer) ? layer.junctionLoss?.() : null;
    // Added to a fresh sum, never returned as itself: the caller disposes the total.
    if (extra) total = tf.add(total ?? tf.scalar(0), extra);
  }
  return { total: total ?? tf.scalar(0), losses: tf.keep(tf.stack(per)), metrics: mets.length > 0 ? tf.keep(tf.stack(mets)) : null };
}
