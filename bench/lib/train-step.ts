/**
 * One training step, the same code for every tfjs model measured (generated, hand-written,
 * with or without junctions), so ratios isolate the model: forward in training mode,
 * categorical cross-entropy per task (summed), gradients of every trainable variable,
 * SGD with momentum (the runtime's, as createOptimizer makes it); the cross-stitch α in their own optimizer with the learning rate
 * multiplied (as PRODUCT.md asks and the PyTorch peer does with a parameter group).
 * Each step ends by awaiting the loss value, so a timed step is a finished step.
 * Like the runtime's `trainModel`, it applies `lazyConvGradients` to the model (the image's
 * gradient is not computed); `lazyConvGradients: false` measures without it.
 */
import * as tf from '@tensorflow/tfjs';
import { lazyConvGradients } from '../../src/runtime/train/conv-gradients.js';
import { DataParallel, type ShardResult } from '../../src/runtime/train/data-parallel.js';
import { FusedMomentumOptimizer } from '../../src/runtime/train/momentum.js';
import { objective, outputIndex, taskRuntimes } from '../../src/runtime/train/objective.js';
import type { TaskPlan } from '../../src/runtime/plan.js';

export interface StepConfig {
  batch: number;
  learningRate: number;
  momentum: number;
  alphaMultiplier: number;
  seed: number;
  /** Apply the runtime's lazyConvGradients to the model, as trainModel does (default true). */
  lazyConvGradients?: boolean;
}

export const DEFAULT_STEP: StepConfig = { batch: 64, learningRate: 0.01, momentum: 0.9, alphaMultiplier: 100, seed: 0 };

export interface Trainer {
  /** Runs `steps` steps; resolves to the elapsed nanoseconds. */
  run(steps: number): Promise<bigint>;
  params: number;
  alphaVariables: number;
  dispose(): void;
}

export function makeTrainer(model: tf.LayersModel, config: StepConfig = DEFAULT_STEP): Trainer {
  if (config.lazyConvGradients ?? true) lazyConvGradients(model);
  const inputShape = model.inputs[0]!.shape.slice(1) as number[];
  const x = tf.randomUniform([config.batch, ...inputShape], 0, 1, 'float32', config.seed);
  const ys = model.outputs.map((o, i) => {
    const classes = o.shape[o.shape.length - 1] as number;
    const labels = tf.randomUniform([config.batch], 0, classes, 'int32', config.seed + 1 + i);
    const y = tf.tidy(() => tf.oneHot(labels, classes).toFloat());
    labels.dispose();
    return y;
  });
  const alphaNames = new Set<string>();
  for (const layer of model.layers) {
    if (layer.getClassName() === 'CrossStitch') for (const w of layer.trainableWeights) alphaNames.add((w.read() as tf.Variable).name);
  }
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const towerOpt = new FusedMomentumOptimizer(config.learningRate, config.momentum);
  const alphaOpt = new FusedMomentumOptimizer(config.learningRate * config.alphaMultiplier, config.momentum);
  const eps = 1e-7;

  const step = (): tf.Scalar =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const out = model.apply(x, { training: true });
        const outs = Array.isArray(out) ? out : [out as tf.Tensor];
        let loss = tf.scalar(0);
        outs.forEach((p, i) => {
          const l = tf.neg(tf.mean(tf.sum(tf.mul(ys[i]!, tf.log(tf.clipByValue(p as tf.Tensor, eps, 1 - eps))), -1)));
          loss = tf.add(loss, l);
        });
        return loss as tf.Scalar;
      }, vars);
      const towerGrads: Record<string, tf.Tensor> = {};
      const alphaGrads: Record<string, tf.Tensor> = {};
      for (const [name, g] of Object.entries(grads)) (alphaNames.has(name) ? alphaGrads : towerGrads)[name] = g;
      towerOpt.applyGradients(towerGrads as unknown as Parameters<typeof towerOpt.applyGradients>[0]);
      if (alphaNames.size > 0) alphaOpt.applyGradients(alphaGrads as unknown as Parameters<typeof towerOpt.applyGradients>[0]);
      return value;
    });

  return {
    params: model.countParams(),
    alphaVariables: alphaNames.size,
    async run(steps: number): Promise<bigint> {
      const t0 = process.hrtime.bigint();
      for (let s = 0; s < steps; s++) {
        const loss = step();
        await loss.data();
        loss.dispose();
      }
      return process.hrtime.bigint() - t0;
    },
    dispose() {
      x.dispose();
      ys.forEach((y) => y.dispose());
      towerOpt.dispose();
      alphaOpt.dispose();
    },
  };
}

/**
 * The same step through the runtime's data-parallel path (src/runtime/train/data-parallel.ts):
 * each batch split over `threads` threads (the main one and threads − 1 worker_threads), the
 * objective of the runtime's loop (categorical cross-entropy per task, summed), SGD with
 * momentum, α in their own optimizer. `threads: 1` runs the same code on the main thread only,
 * so the two compare like for like.
 */
export async function makeParallelTrainer(model: tf.LayersModel, threads: number, config: StepConfig = DEFAULT_STEP): Promise<Trainer> {
  lazyConvGradients(model);
  const inputShape = model.inputs[0]!.shape.slice(1) as number[];
  const x = tf.randomUniform([config.batch, ...inputShape], 0, 1, 'float32', config.seed);
  const taskNames = model.outputNames.map((n) => n.split('/')[0]!);
  const plans: TaskPlan[] = model.outputs.map((o, i) => ({ name: taskNames[i]!, loss: 'categoricalCrossentropy', lossWeight: 1, metrics: [], outputShape: [o.shape[o.shape.length - 1] as number] }));
  const ys: Record<string, tf.Tensor> = {};
  plans.forEach((p, i) => {
    const labels = tf.randomUniform([config.batch], 0, p.outputShape[0]!, 'int32', config.seed + 1 + i);
    ys[p.name] = tf.tidy(() => tf.oneHot(labels, p.outputShape[0]!).toFloat());
    labels.dispose();
  });
  const alphaNames = new Set<string>();
  for (const layer of model.layers) {
    if (layer.getClassName() === 'CrossStitch') for (const w of layer.trainableWeights) alphaNames.add((w.read() as tf.Variable).name);
  }
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const towerOpt = new FusedMomentumOptimizer(config.learningRate, config.momentum);
  const alphaOpt = new FusedMomentumOptimizer(config.learningRate * config.alphaMultiplier, config.momentum);
  const tasks = taskRuntimes(plans);
  const outIdx = outputIndex(model, taskNames);
  const dynamic = Object.fromEntries(taskNames.map((t) => [t, 1]));
  const group = await DataParallel.start(threads, model, tf.getBackend(), plans, taskNames, vars, {});
  const local = (xs: tf.Tensor, ysShard: Record<string, tf.Tensor>): ShardResult => {
    let kept: { losses: tf.Tensor; metrics: tf.Tensor | null } | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const o = objective({ model, tasks, outIdx, logVars: {}, dynamic }, xs, ysShard, (t) => new Error(`no targets for ${t}`));
      kept = { losses: o.losses, metrics: o.metrics };
      return o.total;
    }, vars);
    const k = kept as unknown as { losses: tf.Tensor; metrics: tf.Tensor | null };
    return { value, grads, losses: k.losses, metrics: k.metrics };
  };
  return {
    params: model.countParams(),
    alphaVariables: alphaNames.size,
    async run(steps: number): Promise<bigint> {
      const t0 = process.hrtime.bigint();
      for (let s = 0; s < steps; s++) {
        const r = await group.step(x, ys, dynamic, local);
        const towerGrads: tf.NamedTensorMap = {};
        const alphaGrads: tf.NamedTensorMap = {};
        for (const [name, g] of Object.entries(r.grads)) (alphaNames.has(name) ? alphaGrads : towerGrads)[name] = g;
        towerOpt.applyGradients(towerGrads as unknown as Parameters<typeof towerOpt.applyGradients>[0]);
        if (alphaNames.size > 0) alphaOpt.applyGradients(alphaGrads as unknown as Parameters<typeof towerOpt.applyGradients>[0]);
        await r.value.data();
        tf.dispose([r.value, r.losses, r.metrics, ...Object.values(r.grads)].filter((t): t is tf.Tensor => t !== null));
      }
      return process.hrtime.bigint() - t0;
    },
    dispose() {
      void group.close();
      x.dispose();
      tf.dispose(Object.values(ys));
      towerOpt.dispose();
      alphaOpt.dispose();
    },
  };
}
