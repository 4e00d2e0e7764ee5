import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { trainModel, type OptimizerPlan } from 'mtlc/runtime';
import { tinyBuild, tinyData, tinyPlan } from './train-helpers.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'mtlc-train-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const weightsOf = (m: tf.LayersModel): Record<string, number[]> =>
  Object.fromEntries(m.weights.map((w) => [w.originalName, Array.from(w.read().dataSync())]));

/** After one step, max |Δα| / max |Δ(tower kernel)|. */
async function stepRatio(optimizer: OptimizerPlan, multiplier: number): Promise<number> {
  const data = tinyData(8);
  const before = weightsOf(tinyBuild({ seed: 3 }).model);
  const r = await trainModel(tinyPlan({ optimizer, crossStitchLearningRateMultiplier: multiplier, batchSize: 8, epochs: 1 }), tinyBuild, { ...data, quiet: true, seed: 3 });
  const after = weightsOf(r.model);
  const maxDelta = (name: string): number => Math.max(...after[name]!.map((v, i) => Math.abs(v - before[name]![i]!)));
  return maxDelta('cross_stitch_j/alpha') / maxDelta('a_fc1/kernel');
}

describe('α learning rate', () => {
  for (const type of ['adam', 'rmsprop', 'sgd', 'momentum'] as const) {
    it(`optimizer=${type}: Δα/Δtower scales with the multiplier (1 -> 100)`, async () => {
      const opt: OptimizerPlan = { type, learningRate: 0.001, ...(type === 'momentum' ? { momentum: 0.9 } : {}) };
      const r1 = await stepRatio(opt, 1);
      const r100 = await stepRatio(opt, 100);
      expect(r100 / r1).toBeGreaterThan(99);
      expect(r100 / r1).toBeLessThan(101);
    });
  }

  it('a gradient scale would have failed under adam (the step does not grow)', () => {
    const step = (scale: number): number => {
      const v = tf.variable(tf.tensor1d([1]));
      const opt = tf.train.adam(0.001);
      opt.applyGradients({ [v.name]: tf.tensor1d([0.3 * scale]) } as tf.NamedTensorMap as never);
      const d = Math.abs(v.dataSync()[0]! - 1);
      v.dispose();
      opt.dispose();
      return d;
    };
    expect(step(100) / step(1)).toBeLessThan(1.01);
  });
});

describe('trainModel', () => {
  it('adam: resume matches an uninterrupted run to 1e-5 (tfjs recomputes beta powers as pow() on restore)', async () => {
    const data = tinyData();
    const full = await trainModel(tinyPlan({ epochs: 3 }), tinyBuild, { ...data, quiet: true, out: tmp() });
    const dir = tmp();
    await trainModel(tinyPlan({ epochs: 1 }), tinyBuild, { ...data, quiet: true, out: dir });
    const resumed = await trainModel(tinyPlan({ epochs: 3 }), tinyBuild, { ...data, quiet: true, out: dir, resume: true });
    const a = weightsOf(full.model);
    const b = weightsOf(resumed.model);
    for (const k of Object.keys(a)) a[k]!.forEach((v, i) => expect(Math.abs(v - b[k]![i]!)).toBeLessThan(1e-5));
  });

  // Every optimizer writes its state into the checkpoint (tfjs's Adamax cannot by itself) and a
  // resumed run ends where an uninterrupted one does.
  for (const optimizer of [
    { type: 'adamax', learningRate: 0.01, decay: 0.01 },
    { type: 'adagrad', learningRate: 0.01 },
    { type: 'adadelta', learningRate: 0.05 },
  ] as const) {
    it(`${optimizer.type}: checkpoints each epoch and resumes to the uninterrupted run's weights`, async () => {
      const data = tinyData();
      const full = await trainModel(tinyPlan({ epochs: 3, optimizer }), tinyBuild, { ...data, quiet: true, out: tmp() });
      const dir = tmp();
      await trainModel(tinyPlan({ epochs: 1, optimizer }), tinyBuild, { ...data, quiet: true, out: dir });
      expect(existsSync(path.join(dir, 'checkpoint', 'optimizer-main.bin'))).toBe(true);
      const resumed = await trainModel(tinyPlan({ epochs: 3, optimizer }), tinyBuild, { ...data, quiet: true, out: dir, resume: true });
      const a = weightsOf(full.model);
      const b = weightsOf(resumed.model);
      for (const k of Object.keys(a)) expect(b[k]).toEqual(a[k]);
    });
  }

  it('a terminal gets a progress bar with per-task loss, examples/s and ETA', async () => {
    let text = '';
    await trainModel(tinyPlan({ epochs: 1 }), tinyBuild, { ...tinyData(), batchSize: 4, progress: { write: (t) => void (text += t), isTTY: true } });
    expect(text).toMatch(/epoch 1\/1 \[/);
    expect(text).toContain('ex/s | ETA');
    expect(text).toMatch(/a \d/);
  });

  it('returns per-task loss and metrics per epoch, validation too, and keeps the tensor count flat', async () => {
    const data = tinyData();
    const counts: number[] = [];
    const r = await trainModel(tinyPlan({ epochs: 4, validationSplit: 0.25 }), tinyBuild, {
      ...data,
      quiet: true,
      onEpochEnd: () => void counts.push(tf.memory().numTensors),
    });
    expect(r.history).toHaveLength(4);
    expect(r.history[0]!.tasks['a']!.metrics['accuracy']).toBeGreaterThanOrEqual(0);
    expect(r.history[0]!.examples).toBe(30);
    expect(r.history[3]!.val!.tasks['b']!.loss).toBeGreaterThan(0);
    expect(r.history[3]!.tasks['b']!.loss).toBeLessThan(r.history[0]!.tasks['b']!.loss);
    expect(counts[3]).toBe(counts[1]);
    expect(r.alphas[0]!.shape).toEqual([2, 2]);
  });

  it('resume after epoch 1 reaches the exact weights of an uninterrupted run (momentum, uncertainty weighting)', async () => {
    const data = tinyData();
    const plan = (epochs: number) => tinyPlan({ epochs, optimizer: { type: 'momentum', learningRate: 0.05, momentum: 0.9 }, taskWeighting: { type: 'uncertainty' } });
    const full = await trainModel(plan(3), tinyBuild, { ...data, quiet: true, out: tmp() });
    const dir = tmp();
    await trainModel(plan(1), tinyBuild, { ...data, quiet: true, out: dir });
    const resumed = await trainModel(plan(3), tinyBuild, { ...data, quiet: true, out: dir, resume: true });
    expect(weightsOf(resumed.model)).toEqual(weightsOf(full.model));
    expect(resumed.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(resumed.history[2]!.logVariance).toEqual(full.history[2]!.logVariance);
    const lines = readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { epoch: number }).epoch)).toEqual([1, 2, 3]);
    expect(existsSync(path.join(dir, 'model', 'model.json'))).toBe(true);
  });

  it('trains from a tf.data.Dataset of batched { xs, ys } with a validation dataset', async () => {
    const { inputs, targets } = tinyData(32);
    const ds = tf.data.zip({ xs: tf.data.array(tf.unstack(inputs)), ys: tf.data.zip({ a: tf.data.array(tf.unstack(targets.a)), b: tf.data.array(tf.unstack(targets.b)) }) }).batch(8) as unknown as tf.data.Dataset<{ xs: tf.Tensor; ys: { a: tf.Tensor; b: tf.Tensor } }>;
    const r = await trainModel(tinyPlan({ epochs: 2 }), tinyBuild, { dataset: ds, validationDataset: ds, quiet: true });
    expect(r.history[1]!.examples).toBe(32);
    expect(r.history[1]!.val!.tasks['a']!.metrics['accuracy']).toBeGreaterThanOrEqual(0);
  });

  it('uncertainty: log σ² per task is learned and the recorded weight is exp(-s)', async () => {
    const r = await trainModel(tinyPlan({ epochs: 3, taskWeighting: { type: 'uncertainty' } }), tinyBuild, { ...tinyData(), quiet: true });
    const last = r.history[2]!;
    expect(last.logVariance!['a']).not.toBe(0);
    expect(last.tasks['a']!.weight).toBeCloseTo(Math.exp(-last.logVariance!['a']!), 6);
  });

  it('dwa: weights are 1 for two epochs, then follow the ratio of the last two losses', async () => {
    const r = await trainModel(tinyPlan({ epochs: 3, taskWeighting: { type: 'dwa', temperature: 2 } }), tinyBuild, { ...tinyData(), quiet: true });
    expect(r.history[0]!.tasks['a']!.weight).toBe(1);
    expect(r.history[1]!.tasks['a']!.weight).toBe(1);
    const ra = r.history[1]!.tasks['a']!.loss / r.history[0]!.tasks['a']!.loss;
    const rb = r.history[1]!.tasks['b']!.loss / r.history[0]!.tasks['b']!.loss;
    const wa = (2 * Math.exp(ra / 2)) / (Math.exp(ra / 2) + Math.exp(rb / 2));
    expect(r.history[2]!.tasks['a']!.weight).toBeCloseTo(wa, 5);
  });

  it('--single-task keeps α at identity and the other tower untouched; --init-from loads it by layer name', async () => {
    const data = tinyData();
    const dir = tmp();
    const before = weightsOf(tinyBuild({ seed: 7 }).model);
    const single = await trainModel(tinyPlan(), tinyBuild, { ...data, quiet: true, singleTask: 'a', out: dir });
    const w = weightsOf(single.model);
    expect(w['cross_stitch_j/alpha']).toEqual([1, 0, 0, 1]);
    expect(w['b_fc1/kernel']).toEqual(before['b_fc1/kernel']);
    expect(w['a_fc1/kernel']).not.toEqual(before['a_fc1/kernel']);
    expect(single.history[0]!.tasks['b']).toBeUndefined();
    let log = '';
    const stitched = await trainModel(tinyPlan({ epochs: 1 }), tinyBuild, { ...data, initFrom: [dir], epochs: 1, seed: 99, progress: { write: (t) => void (log += t), isTTY: false } });
    expect(stitched.history).toHaveLength(1);
    expect(log).toContain("2 layer(s) loaded (task 'a'): a 2, b 0");
  });

  it('--init-from copies the single-task tower by layer name (zero learning rate keeps it visible)', async () => {
    const data = tinyData();
    const dir = tmp();
    const single = await trainModel(tinyPlan(), tinyBuild, { ...data, quiet: true, singleTask: 'b', out: dir });
    const frozen = tinyPlan({ optimizer: { type: 'sgd', learningRate: 0 }, epochs: 1 });
    const stitched = await trainModel(frozen, tinyBuild, { ...data, quiet: true, initFrom: [dir], seed: 99 });
    const s = weightsOf(single.model);
    const t = weightsOf(stitched.model);
    expect(t['b_fc1/kernel']).toEqual(s['b_fc1/kernel']);
    expect(t['b/bias']).toEqual(s['b/bias']);
    expect(t['a_fc1/kernel']).not.toEqual(s['a_fc1/kernel']);
    expect(t['cross_stitch_j/alpha']).toEqual(weightsOf(tinyBuild({ seed: 99 }).model)['cross_stitch_j/alpha']);
  });
});
