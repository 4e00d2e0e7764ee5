/**
 * The runtime's training loop (`trainModel`) on wasm: memory and tensor count across epochs,
 * and the loop's step time against the bench's bare step on the same model shape. The two
 * alternate at epoch granularity: after each loop epoch (in `onEpochEnd`) the bare trainer runs
 * the same number of steps. Epoch 1 (set-up, first-use compilation) is not timed.
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainingPlan } from '../../src/runtime/plan.js';
import { useBackend } from '../lib/tf-setup.js';
import { makeTrainer, DEFAULT_STEP } from '../lib/train-step.js';
import { buildHandWritten, JUNCTION_NAMES, JUNCTION_POSITIONS } from '../peers/hand-written.js';
import type { Builder } from '../lib/optional.js';
import { compareTimes, ratioCell, series, judge, type BenchContext } from './context.js';
import { fmtMedian } from '../lib/table.js';
import type { EpochMemory } from './memory.js';

type TrainModel = (plan: TrainingPlan, build: Builder, options: Record<string, unknown>) => Promise<{ history: unknown[] }>;

/** The training plan of specs/multi-mnist.yaml, as codegen emits it (used until generated code exports one). */
export function multiMnistPlan(epochs: number): TrainingPlan {
  const task = (name: string) => ({ name, loss: 'categoricalCrossentropy', lossWeight: 1, metrics: ['accuracy'], outputShape: [10] });
  return {
    modelName: 'MultiMnist',
    specHash: 'bench',
    input: { name: 'image', shape: [28, 28, 1] },
    tasks: [task('left'), task('right')],
    backend: 'wasm',
    optimizer: { type: 'sgd', learningRate: 0.01, momentum: 0.9 },
    crossStitchLearningRateMultiplier: 100,
    batchSize: DEFAULT_STEP.batch,
    epochs,
    validationSplit: 0,
    seed: 1,
    taskWeighting: { type: 'fixed' },
    data: { format: 'multimnist' },
  };
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

export async function loopFigure(ctx: BenchContext, trainModel: TrainModel): Promise<void> {
  const memFigure = 'memory across epochs (trainModel, wasm)';
  const loopFigureName = 'trainModel step vs bare step (wasm)';
  if (!ctx.crossStitch && !('build' in ctx.generated)) {
    ctx.row({ figure: memFigure, a: 'not yet', b: '—', ratio: '—', target: 'flat tensor count', status: 'not yet', note: 'no model with junctions yet' });
    return;
  }
  await useBackend('wasm');
  const generated = 'build' in ctx.generated ? ctx.generated : undefined;
  const label = generated ? 'generated' : 'hand-written (generated not yet)';
  const cs = ctx.crossStitch;
  const build: Builder =
    generated?.build ??
    (() => {
      const built = buildHandWritten({ crossStitch: cs });
      return {
        ...built,
        predict: (x: tf.Tensor) => {
          const out = built.model.predict(x) as tf.Tensor[];
          return Object.fromEntries(built.tasks.map((t, i) => [t, out[i]!]));
        },
        junctions: JUNCTION_POSITIONS.map((p) => ({ name: JUNCTION_NAMES[p], layerName: `cross_stitch_${JUNCTION_NAMES[p]}`, mode: 'channel', towers: built.tasks })),
      };
    });
  const epochs = ctx.options.quick ? 3 : 6;
  const stepsPerEpoch = ctx.options.quick ? 5 : 20;
  const n = stepsPerEpoch * DEFAULT_STEP.batch;
  const plan = (generated?.plan as TrainingPlan | undefined) ?? multiMnistPlan(epochs);
  const inputs = tf.randomUniform([n, 28, 28, 1], 0, 1, 'float32', 7);
  const targets = Object.fromEntries(
    plan.tasks.map((t, i) => {
      const labels = tf.randomUniform([n], 0, 10, 'int32', 8 + i);
      const y = tf.oneHot(labels, 10).toFloat();
      labels.dispose();
      return [t.name, y];
    }),
  );
  const bare = makeTrainer(build().model);
  await bare.run(2);
  const loopNs: number[] = [];
  const bareNs: number[] = [];
  const rows: EpochMemory[] = [];
  ctx.log(`${memFigure}: ${epochs} epochs × ${stepsPerEpoch} steps through trainModel, ${label} model, alternating with the bare step`);
  let t0 = process.hrtime.bigint();
  await trainModel(plan, build, {
    inputs,
    targets,
    epochs,
    batchSize: DEFAULT_STEP.batch,
    backend: 'wasm',
    validationSplit: 0,
    quiet: true,
    onEpochEnd: async (record: { epoch: number }) => {
      const ns = Number(process.hrtime.bigint() - t0);
      const m = tf.memory();
      rows.push({
        epoch: record.epoch,
        rssMB: mb(process.memoryUsage().rss),
        peakRssMB: mb(process.resourceUsage().maxRSS * 1024),
        tensors: m.numTensors,
        tensorMB: mb(m.numBytes),
      });
      if (record.epoch > 1) {
        loopNs.push(ns / stepsPerEpoch);
        bareNs.push(Number(await bare.run(stepsPerEpoch)) / stepsPerEpoch);
      }
      t0 = process.hrtime.bigint();
    },
  });
  bare.dispose();
  tf.dispose([inputs, ...Object.values(targets)]);

  const first = rows[1] ?? rows[0]!;
  const last = rows[rows.length - 1]!;
  // The bare trainer's own tensors are alive during the loop's epochs; it is disposed after.
  const grew = last.tensors - first.tensors;
  ctx.record('loop.memory', { model: label, epochs, stepsPerEpoch, perEpoch: rows });
  ctx.row({
    figure: memFigure,
    a: `peak RSS ${last.peakRssMB} MB`,
    b: `tensors ${rows.map((r) => r.tensors).join('→')}`,
    ratio: '—',
    target: 'flat tensor count',
    status: grew === 0 ? 'met' : 'unmet',
    note: `${label}; RSS by epoch ${rows.map((r) => r.rssMB).join(', ')} MB${grew ? `; ${grew} tensors more after epoch ${last.epoch} than after epoch ${first.epoch}` : ''}`,
  });
  const a = series('trainModel', loopNs);
  const b = series('bare step', bareNs);
  const ratio = compareTimes(loopNs, bareNs);
  ctx.record('loop.step', { a, b, ratio });
  ctx.row({
    figure: loopFigureName,
    a: fmtMedian(a.time.median, a.time.spread, 'ms/step', 1),
    b: fmtMedian(b.time.median, b.time.spread, 'ms/step', 1),
    ratio: ratioCell(ratio, 3),
    target: '≈ 1×',
    status: judge(ratio, 1.05, 'lower') === 'met' ? 'info' : `info (loop costs ${Math.round((ratio.ratio.median - 1) * 100)}% more)`,
    note: `per-step time of the loop's epochs (batching, metrics, per-batch loss read-back included) against the bench's step, ${loopNs.length} alternating epochs of ${stepsPerEpoch} steps`,
  });
}
