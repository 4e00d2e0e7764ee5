/**
 * The training objective of one batch: the weighted sum of the tasks' mean losses (fixed, DWA
 * or uncertainty weighting), with each task's loss and metrics kept for reporting. One
 * definition, used by the training loop and by its data-parallel workers.
 */
import * as tf from '@tensorflow/tfjs';
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
export function objective(ctx: ObjectiveContext, xs: tf.Tensor, ys: Readonly<Record<string, tf.Tensor>>, missingTargets: (task: string) => Error): ObjectiveValue {
  const outputs = ctx.model.apply(xs, { training: true }) as tf.Tensor | tf.Tensor[];
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const per: tf.Scalar[] = [];
  const mets: tf.Scalar[] = [];
  let total: tf.Scalar = tf.scalar(0);
  for (const t of ctx.tasks) {
    const y = ys[t.plan.name];
    if (!y) throw missingTargets(t.plan.name);
    const p = outs[ctx.outIdx.get(t.plan.name)!]!;
    const l = tf.mean(t.loss(y, p)) as tf.Scalar;
    per.push(l);
    for (const m of t.metrics) mets.push(tf.mean(m.fn(y, p)) as tf.Scalar);
    const s = ctx.logVars[t.plan.name];
    const term = s ? tf.add(tf.mul(tf.exp(tf.neg(s)), l), s) : tf.mul(l, ctx.dynamic[t.plan.name]!);
    total = tf.add(total, tf.mul(term, t.plan.lossWeight));
  }
  return { total, losses: tf.keep(tf.stack(per)), metrics: mets.length > 0 ? tf.keep(tf.stack(mets)) : null };
}
