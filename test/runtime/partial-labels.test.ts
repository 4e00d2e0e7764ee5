/**
 * Partially labelled data: an example without a task's label gives that task no loss, no
 * gradient and no metric; a task's batch loss is the mean over its labelled examples.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TabularSource, lossFunction } from 'mtlc/runtime';
import { objective, outputIndex, taskRuntimes, taskValues, type TaskLabels } from '../../src/runtime/train/objective.js';
import type { TaskPlan } from '../../src/runtime/plan.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function file(name: string, text: string): string {
  const d = mkdtempSync(path.join(tmpdir(), 'mtlc-partial-'));
  dirs.push(d);
  const f = path.join(d, name);
  writeFileSync(f, text);
  return f;
}

const LOSSES: { loss: string; units: number; target: (i: number) => number[] }[] = [
  { loss: 'categoricalCrossentropy', units: 3, target: (i) => [0, 1, 2].map((k) => (k === i % 3 ? 1 : 0)) },
  { loss: 'sparseCategoricalCrossentropy', units: 3, target: (i) => [i % 3] },
  { loss: 'binaryCrossentropy', units: 1, target: (i) => [i % 2] },
  { loss: 'meanSquaredError', units: 2, target: (i) => [i / 5, -i / 7] },
  { loss: 'meanAbsoluteError', units: 2, target: (i) => [i / 5, 1] },
  { loss: 'hinge', units: 1, target: (i) => [i % 2 ? 1 : -1] },
  { loss: 'meanSquaredLogarithmicError', units: 1, target: (i) => [i / 3] },
  { loss: 'poisson', units: 1, target: (i) => [i % 4] },
  { loss: 'cosineProximity', units: 2, target: (i) => [1, i] },
  { loss: 'kullbackLeiblerDivergence', units: 3, target: () => [0.2, 0.3, 0.5] },
];

/** Task `a` with the loss under test (sigmoid/softmax head as the loss expects), task `b` MSE. */
function model(units: number, loss: string): tf.LayersModel {
  {
    const x = tf.input({ shape: [4], name: 'x' });
    const h = tf.layers.dense({ units: 5, activation: 'tanh', name: 'h', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(x) as tf.SymbolicTensor;
    const act = loss.includes('ategorical') || loss === 'kullbackLeiblerDivergence' ? 'softmax' : loss === 'binaryCrossentropy' ? 'sigmoid' : loss === 'poisson' || loss === 'meanSquaredLogarithmicError' ? 'softplus' : 'linear';
    const a = tf.layers.dense({ units, activation: act, name: 'a', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(h) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 1, name: 'b', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(h) as tf.SymbolicTensor;
    return tf.model({ inputs: x, outputs: [a, b] });
  }
}

const N = 8;
const labelledA = [1, 0, 1, 1, 0, 0, 1, 0];

function step(m: tf.LayersModel, plans: TaskPlan[], yA: number[][], weighting: 'fixed' | 'uncertainty' | 'dwa', mask: number[]) {
  const tasks = taskRuntimes(plans);
  const logVars: Record<string, tf.Variable> = weighting === 'uncertainty' ? { a: tf.variable(tf.scalar(0.3)), b: tf.variable(tf.scalar(-0.2)) } : {};
  const dynamic = weighting === 'dwa' ? { a: 1.3, b: 0.7 } : { a: 1, b: 1 };
  const xs = tf.tensor2d(Array.from({ length: N }, (_, i) => [Math.sin(i), Math.cos(i), i / N, 1 - i / N]));
  const ys = { a: plans[0]!.loss === 'sparseCategoricalCrossentropy' ? tf.tensor1d(yA.map((r) => r[0]!)) : tf.tensor2d(yA), b: tf.tensor2d(Array.from({ length: N }, (_, i) => [i / N])) };
  const count = mask.reduce((s, v) => s + v, 0);
  const labels: TaskLabels = { masks: { a: tf.tensor1d(mask) }, denominators: { a: count } };
  const vars = [...m.trainableWeights.map((w) => w.read() as tf.Variable), ...Object.values(logVars)];
  let losses: tf.Tensor | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const o = objective({ model: m, tasks, outIdx: outputIndex(m, ['a', 'b']), logVars, dynamic }, xs, ys, (t) => new Error(t), labels);
    losses = o.losses;
    return o.total;
  }, vars);
  const out = { total: value.dataSync()[0]!, losses: Array.from((losses as unknown as tf.Tensor).dataSync()), grads: vars.map((v) => Array.from(grads[v.name]?.dataSync() ?? new Float32Array(v.size))) };
  tf.dispose([value, losses as unknown as tf.Tensor, xs, ys.a, ys.b, labels.masks['a']!, ...Object.values(grads), ...Object.values(logVars)]);
  return out;
}

describe('masked tasks in the objective', () => {
  for (const { loss, units, target } of LOSSES) {
    for (const weighting of ['fixed', 'uncertainty', 'dwa'] as const) {
      it(`loss=${loss}; weighting=${weighting}: unlabelled rows' targets change nothing, the task loss is the mean over labelled rows`, () => {
        const m = model(units, loss);
        const plans: TaskPlan[] = [
          { name: 'a', loss, lossWeight: 1, metrics: ['accuracy'], outputShape: [units] },
          { name: 'b', loss: 'meanSquaredError', lossWeight: 0.5, metrics: [], outputShape: [1] },
        ];
        const width = loss === 'sparseCategoricalCrossentropy' ? 1 : units;
        const real = Array.from({ length: N }, (_, i) => target(i));
        const garbage1 = real.map((r, i) => (labelledA[i] ? r : new Array<number>(width).fill(Number.NaN)));
        const garbage2 = real.map((r, i) => (labelledA[i] ? r : new Array<number>(width).fill(0)));
        const s1 = step(m, plans, garbage1, weighting, labelledA);
        const s2 = step(m, plans, garbage2, weighting, labelledA);
        expect(s1.total).toBe(s2.total);
        expect(s1.grads).toEqual(s2.grads);
        expect(s1.grads.flat().every(Number.isFinite)).toBe(true);
        // The task's loss is the mean of its per-example loss over the labelled rows.
        const keep = labelledA.flatMap((v, i) => (v ? [i] : []));
        const expected = tf.tidy(() => {
          const x = tf.tensor2d(keep.map((i) => [Math.sin(i), Math.cos(i), i / N, 1 - i / N]));
          const p = (m.predict(x) as tf.Tensor[])[0]!;
          const y = width === 1 && loss === 'sparseCategoricalCrossentropy' ? tf.tensor1d(keep.map((i) => real[i]![0]!)) : tf.tensor2d(keep.map((i) => real[i]!));
          return tf.mean(lossFunction(loss)(y, p)).dataSync()[0]!;
        });
        expect(s1.losses[0]).toBeCloseTo(expected, 5);
        m.dispose();
      });
    }
  }

  it('a task with no label in the batch adds nothing to the objective, its log σ² included', () => {
    const m = model(3, 'categoricalCrossentropy');
    const plans: TaskPlan[] = [
      { name: 'a', loss: 'categoricalCrossentropy', lossWeight: 1, metrics: [], outputShape: [3] },
      { name: 'b', loss: 'meanSquaredError', lossWeight: 1, metrics: [], outputShape: [1] },
    ];
    const y = Array.from({ length: N }, () => [1, 0, 0]);
    const none = step(m, plans, y, 'uncertainty', new Array<number>(N).fill(0));
    // Only b's term: exp(0.2)·mse_b − 0.2; a's log σ² (the second-last variable) gets no gradient.
    const grads = none.grads;
    expect(grads[grads.length - 2]!.every((g) => g === 0)).toBe(true);
    expect(none.total).toBeCloseTo(Math.exp(0.2) * none.losses[1]! - 0.2, 5);
    m.dispose();
  });
});

describe('partially labelled files', () => {
  const task = (name: string, field: string) => ({ name, field, units: 1, oneHot: false, index: false });
  it('a missing, null or empty field leaves the example unlabelled for that task; counts per task', async () => {
    const jsonl = file('d.jsonl', ['{"x":[1,2],"a":1,"b":2}', '{"x":[1,2],"b":3}', '{"x":[1,2],"a":null,"b":4}', '{"x":[1,2],"a":0.5}'].join('\n'));
    const src = new TabularSource({ format: 'jsonl', path: jsonl, input: 'x', inputShape: [2], tasks: [task('a', 'a'), task('b', 'b')] });
    expect(await src.check()).toBe(4);
    expect(src.labelCounts).toEqual({ a: 2, b: 3 });
    const batches = [];
    for await (const b of src.batches(4, null)) batches.push(b);
    expect(Array.from(batches[0]!.labelled!['a']!.dataSync())).toEqual([1, 0, 0, 1]);
    expect(Array.from(batches[0]!.labelled!['b']!.dataSync())).toEqual([1, 1, 1, 0]);
    const csv = file('d.csv', 'x0,x1,a,b\n1,2,,1\n1,2,3,\n');
    const c = new TabularSource({ format: 'csv', path: csv, input: ['x0', 'x1'], inputShape: [2], tasks: [task('a', 'a'), task('b', 'b')] });
    await c.check();
    expect(c.labelCounts).toEqual({ a: 1, b: 1 });
  });

  it('a task labelled on no row is an error naming the field (a misspelled field must not mask a task)', async () => {
    const jsonl = file('e.jsonl', '{"x":[1,2],"a":1,"b_typo":2}\n');
    const src = new TabularSource({ format: 'jsonl', path: jsonl, input: 'x', inputShape: [2], tasks: [task('a', 'a'), task('b', 'b')] });
    await expect(src.check()).rejects.toThrow(/field 'b': no row has a label for task 'b'/);
  });
});

describe('training on partially labelled data', () => {
  const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
  const masked = (n: number) => tf.tensor1d(Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0)));

  it('unlabelled rows (NaN or zero targets) train to the same weights, bit for bit; epoch means are over labelled rows', async () => {
    const { trainModel } = await import('mtlc/runtime');
    const { tinyBuild, tinyData, tinyPlan } = await import('./train-helpers.js');
    const data = tinyData(40);
    const keep = masked(40);
    const nanA = tf.where(tf.reshape(tf.greater(keep, 0), [-1, 1]), data.targets.a, tf.fill([40, 3], Number.NaN));
    const zeroA = tf.where(tf.reshape(tf.greater(keep, 0), [-1, 1]), data.targets.a, tf.zeros([40, 3]));
    const plan = tinyPlan({ epochs: 2 });
    const r1 = await trainModel(plan, tinyBuild, { inputs: data.inputs, targets: { a: nanA, b: data.targets.b }, labelled: { a: keep }, backend: 'cpu', quiet: true });
    const r2 = await trainModel(plan, tinyBuild, { inputs: data.inputs, targets: { a: zeroA, b: data.targets.b }, labelled: { a: keep }, backend: 'cpu', quiet: true });
    expect(weightsOf(r1.model)).toEqual(weightsOf(r2.model));
    expect(r1.history[0]!.labelled).toEqual({ a: 14, b: 40 });
    expect(Number.isFinite(r1.history[1]!.tasks['a']!.loss)).toBe(true);
  });

  it('data-parallel (2 threads) trains partially labelled batches to the losses of one thread', async () => {
    const { trainModel } = await import('mtlc/runtime');
    const { tinyBuild, tinyData, tinyPlan } = await import('./train-helpers.js');
    const data = tinyData(43);
    const keep = masked(43);
    const plan = tinyPlan({ epochs: 2, optimizer: { type: 'sgd', learningRate: 0.05 }, taskWeighting: { type: 'uncertainty' } });
    const one = await trainModel(plan, tinyBuild, { ...data, labelled: { a: keep }, backend: 'cpu', quiet: true });
    const two = await trainModel(plan, tinyBuild, { ...data, labelled: { a: keep }, backend: 'cpu', quiet: true, workers: 2 });
    for (const [e, rec] of one.history.entries()) {
      for (const t of ['a', 'b']) expect(two.history[e]!.tasks[t]!.loss).toBeCloseTo(rec.tasks[t]!.loss, 5);
    }
    const w1 = weightsOf(one.model).flat();
    const w2 = weightsOf(two.model).flat();
    expect(Math.max(...w1.map((v, i) => Math.abs(v - w2[i]!)))).toBeLessThan(1e-5);
  });
});

describe('MultiMNIST options in the spec', () => {
  const spec = (data: string) => `version: 1
name: Pair
input: { name: image, shape: [28, 28, 1] }
towers:
  left:
    layers: [{ type: flatten, name: flat }]
    head: { units: 10, activation: softmax }
    loss: categoricalCrossentropy
  right:
    layers: [{ type: flatten, name: flat }]
    head: { units: 10, activation: softmax }
    loss: categoricalCrossentropy
data: ${data}
`;
  it('placement, distinctClasses and labelFraction reach the training plan', async () => {
    const { validateSpec } = await import('../../src/index.js');
    const r = validateSpec(spec('{ format: multimnist, placement: random, distinctClasses: true, labelFraction: { right: 0.05 } }'), 'pair.yaml');
    expect(r.diagnostics).toEqual([]);
    expect(r.model!.training.data).toEqual({ format: 'multimnist', placement: 'random', distinctClasses: true, labelFraction: { right: 0.05 } });
  });
  it('a labelFraction for an unknown task, or out of (0, 1], is a located error', async () => {
    const { validateSpec } = await import('../../src/index.js');
    const typo = validateSpec(spec('{ format: multimnist, labelFraction: { rigth: 0.5 } }'), 'pair.yaml');
    expect(typo.diagnostics.map((d) => [d.code, d.line, d.path])).toEqual([['unknown-tower', 13, '/data/labelFraction/rigth']]);
    expect(typo.diagnostics[0]!.hint).toContain('right');
    const zero = validateSpec(spec('{ format: multimnist, labelFraction: { right: 0 } }'), 'pair.yaml');
    expect(zero.diagnostics.map((d) => d.path)).toEqual(['/data/labelFraction/right']);
  });
});

describe('a batch without labels for a task', () => {
  it('momentum and adam keep each weight its own state when a task gets no gradient in some batches', async () => {
    const { trainModel } = await import('mtlc/runtime');
    const { tinyBuild, tinyData, tinyPlan } = await import('./train-helpers.js');
    const data = tinyData(40);
    // Task a labelled only in the first 8 rows: with batch 8 and no shuffle that is one batch of five.
    const keep = tf.tensor1d(Array.from({ length: 40 }, (_, i) => (i < 8 ? 1 : 0)));
    for (const optimizer of [{ type: 'sgd', learningRate: 0.05, momentum: 0.9 }, { type: 'adam', learningRate: 0.01 }] as const) {
      const plan = tinyPlan({ epochs: 2, optimizer });
      const r = await trainModel(plan, tinyBuild, { ...data, labelled: { a: keep }, backend: 'cpu', quiet: true });
      expect(r.history.every((h) => Number.isFinite(h.loss))).toBe(true);
      expect(r.history[0]!.labelled).toEqual({ a: 8, b: 40 });
    }
  });
});

describe('per-batch metrics on partially labelled batches', () => {
  it('precision and recall count only labelled rows', () => {
    const t = taskRuntimes([{ name: 'a', loss: 'binaryCrossentropy', lossWeight: 1, metrics: ['precision', 'recall'], outputShape: [1] }])[0]!;
    // Labelled rows: (y 1, p .9) tp, (y 0, p .8) fp, (y 1, p .2) fn. Unlabelled rows predict positive.
    const y = tf.tensor2d([[1], [0], [1], [0], [0]]);
    const p = tf.tensor2d([[0.9], [0.8], [0.2], [0.95], [0.99]]);
    const mask = tf.tensor1d([1, 1, 1, 0, 0]);
    const v = taskValues(t, y, p, mask, 3);
    expect(v.metrics[0]!.dataSync()[0]).toBeCloseTo(0.5, 6); // precision 1 / 2
    expect(v.metrics[1]!.dataSync()[0]).toBeCloseTo(0.5, 6); // recall 1 / 2
  });
});
