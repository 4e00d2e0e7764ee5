/**
 * Ten training steps, tfjs vs torch, from the same initial weights (tfjs's, from the seed) and
 * the same batches in the same order: the real loops on both sides (the runtime's trainModel;
 * mtlc_torch.train.train on a shard of those batches with shuffle off). After 10 steps the
 * weights (α included) agree within 1e-4 relative and the epoch's per-task losses within 1e-5:
 * the update rules of every optimizer (tfjs's, not torch.optim's), α's own optimizer with its
 * multiplier, batch-norm's training statistics and task weighting match, and so do the junction
 * kinds' own parts (a sluice's orthogonality penalty, NDDR's batch norm, learning-rate group and
 * weight decay). Longer horizons drift
 * apart at the rate float rounding allows (the α step is large), so parity is tested short.
 */
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fileSystemHandler, trainModel, type OptimizerPlan, type TrainingPlan } from 'mtlc/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeShard } from '../../src/runtime/torch/handover.js';
import type { BatchSource } from '../../src/runtime/data/types.js';
import { PyHelper, compileFixture, maxRelErr, skipReason, torchPython, type CompiledFixture } from './torch-helpers.js';
import { loadSavedWeights } from '../../src/runtime/train/checkpoint.js';

const STEPS = 10;
const BATCH = 8;

/** Deterministic batches: inputs, and targets shaped for each task's loss. */
function batches(f: CompiledFixture, seed: number): { xs: tf.Tensor; ys: Record<string, tf.Tensor> }[] {
  return Array.from({ length: STEPS }, (_, b) =>
    tf.tidy(() => {
      const xs = tf.randomUniform([BATCH, ...f.model.input.shape], 0, 1, 'float32', seed * 100 + b);
      const ys: Record<string, tf.Tensor> = {};
      f.model.towers.forEach((t, i) => {
        const units = t.head.outputShape[0]!;
        const r = tf.randomUniform([BATCH, units], 0, 1, 'float32', seed * 1000 + b * 10 + i);
        ys[t.task] = t.loss === 'categoricalCrossentropy' ? tf.oneHot(tf.argMax(r, 1), units).toFloat() : t.loss === 'binaryCrossentropy' ? tf.round(r) : r;
      });
      return { xs, ys };
    }),
  );
}

const sourceOf = (items: { xs: tf.Tensor; ys: Record<string, tf.Tensor> }[]): BatchSource => ({
  describe: 'test batches',
  size: items.length * BATCH,
  async *batches() {
    for (const it of items) yield { xs: it.xs.clone(), ys: Object.fromEntries(Object.entries(it.ys).map(([k, v]) => [k, v.clone()])), size: it.xs.shape[0]! };
  },
});

interface Case {
  spec: string;
  backend: 'cpu' | 'wasm';
  optimizer: OptimizerPlan;
  weighting?: TrainingPlan['taskWeighting'];
  singleTask?: string;
}

const CASES: Case[] = [
  { spec: 'specs/multi-mnist.yaml', backend: 'wasm', optimizer: { type: 'sgd', learningRate: 0.01, momentum: 0.9 } },
  { spec: 'test/torch/fixtures/trainable.yaml', backend: 'cpu', optimizer: { type: 'sgd', learningRate: 0.01 } },
  { spec: 'test/torch/fixtures/trainable.yaml', backend: 'cpu', optimizer: { type: 'adam', learningRate: 0.001 }, weighting: { type: 'uncertainty' } },
  { spec: 'test/torch/fixtures/trainable.yaml', backend: 'cpu', optimizer: { type: 'rmsprop', learningRate: 0.001, momentum: 0.5 } },
  { spec: 'test/torch/fixtures/trainable.yaml', backend: 'cpu', optimizer: { type: 'adagrad', learningRate: 0.01 } },
  { spec: 'test/torch/fixtures/trainable.yaml', backend: 'cpu', optimizer: { type: 'adamax', learningRate: 0.002, decay: 0.01 } },
  { spec: 'test/torch/fixtures/trainable.yaml', backend: 'cpu', optimizer: { type: 'adadelta', learningRate: 0.1, rho: 0.9 } },
  // Sluice (orthogonality penalty) and NDDR (batch norm, own lr multiplier, weight decay).
  { spec: 'test/torch/fixtures/junction-kinds.yaml', backend: 'cpu', optimizer: { type: 'sgd', learningRate: 0.05, momentum: 0.9 } },
  { spec: 'test/torch/fixtures/junction-kinds.yaml', backend: 'wasm', optimizer: { type: 'adam', learningRate: 0.001 }, weighting: { type: 'uncertainty' } },
  // --single-task: junctions isolated and frozen (the sluice's penalty still shapes tower a), other towers untouched.
  { spec: 'test/torch/fixtures/junction-kinds.yaml', backend: 'cpu', optimizer: { type: 'sgd', learningRate: 0.05, momentum: 0.9 }, weighting: { type: 'uncertainty' }, singleTask: 'a' },
  // Average pooling with padding same on wasm (its gradient's border windows; cpu above).
  { spec: 'test/torch/fixtures/trainable.yaml', backend: 'wasm', optimizer: { type: 'sgd', learningRate: 0.01 } },
];

describe.skipIf(!torchPython)(`torch training parity ${skipReason ?? ''}`, () => {
  let py: PyHelper;
  const fixtures = new Map<string, CompiledFixture>();
  beforeAll(async () => {
    py = new PyHelper(torchPython!);
    await py.ready();
    for (const c of CASES) if (!fixtures.has(c.spec)) fixtures.set(c.spec, await compileFixture(c.spec));
  }, 120_000);
  afterAll(() => {
    py?.close();
    for (const f of fixtures.values()) rmSync(f.dir, { recursive: true, force: true });
  });

  CASES.forEach((c, n) => {
    it(`spec=${c.spec}; backend=${c.backend}; optimizer=${c.optimizer.type}; weighting=${c.weighting?.type ?? 'fixed'}${c.singleTask ? `; single-task=${c.singleTask}` : ''}: ${STEPS} steps agree`, async () => {
      const f = fixtures.get(c.spec)!;
      const seed = 3 + n;
      const plan: TrainingPlan = { ...f.plan, optimizer: c.optimizer, batchSize: BATCH, epochs: 1, validationSplit: 0, seed, taskWeighting: c.weighting ?? { type: 'fixed' } };
      await tf.setBackend('cpu');
      const items = batches(f, seed);
      const runDir = path.join(f.dir, `run-${n}`);
      const jobDir = path.join(runDir, 'torch');
      await writeShard(sourceOf(items), path.join(jobDir, 'data', 'train'), f.model.input.shape, f.model.towers.map((t) => t.task));
      const init = f.build({ seed });
      await init.model.save(fileSystemHandler(path.join(jobDir, 'init')));
      init.model.dispose();
      writeFileSync(
        path.join(jobDir, 'job.json'),
        JSON.stringify({ version: 1, runDir: '..', initModel: 'init', trainData: 'data/train', plan, seed, epochs: 1, batchSize: BATCH, resume: false, shuffle: false, ...(c.singleTask ? { singleTask: c.singleTask } : {}) }),
      );
      const torchRun = await py.request<{ history: { loss: number; tasks: Record<string, { loss: number; weight: number }> }[] }>({ op: 'train', root: f.torchRoot, package: f.torchPackage, job: path.join(jobDir, 'job.json') });

      const dataset = tf.data.array(items.map((it) => ({ xs: it.xs, ys: it.ys })));
      const result = await trainModel(plan, f.build, { dataset, backend: c.backend, quiet: true, seed, ...(c.singleTask ? { singleTask: c.singleTask } : {}) });
      const tfjsRecord = result.history[0]!;
      const torchRecord = torchRun.history[0]!;
      expect(Object.keys(torchRecord.tasks)).toEqual(Object.keys(tfjsRecord.tasks));
      for (const t of f.model.towers.filter((t) => !c.singleTask || t.task === c.singleTask)) {
        expect(Math.abs(torchRecord.tasks[t.task]!.loss - tfjsRecord.tasks[t.task]!.loss), `loss of ${t.task}`).toBeLessThanOrEqual(1e-5 * Math.max(1, tfjsRecord.tasks[t.task]!.loss));
      }
      // The objective, junctions' own terms (orthogonality, weight decay) and log σ² included.
      expect(Math.abs(torchRecord.loss - tfjsRecord.loss), 'objective').toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(tfjsRecord.loss)));
      if (c.spec.includes('junction-kinds') && c.weighting === undefined) {
        const tasksOnly = Object.values(tfjsRecord.tasks).reduce((a, t) => a + t.loss * t.weight, 0);
        expect(tfjsRecord.loss - tasksOnly, 'the junctions add loss terms').toBeGreaterThan(1e-3);
      }
      const torchWeights = await loadSavedWeights(path.join(runDir, 'model'));
      let worst = 0;
      let worstName = '';
      for (const w of result.model.weights) {
        const mine = torchWeights[w.originalName];
        expect(mine, w.originalName).toBeDefined();
        const e = maxRelErr(mine!.dataSync(), w.read().dataSync());
        if (e > worst) [worst, worstName] = [e, w.originalName];
      }
      expect(worst, `largest difference at ${worstName}`).toBeLessThanOrEqual(1e-4);
      tf.dispose([...Object.values(torchWeights)]);
      result.model.dispose();
      await tf.setBackend('cpu');
      tf.dispose(items.flatMap((it) => [it.xs, ...Object.values(it.ys)]));
    });
  });
});
