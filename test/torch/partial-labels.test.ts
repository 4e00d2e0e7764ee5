/**
 * Partially labelled data on the torch engine: the label masks go over with the shard, a task's
 * loss and metrics are means over its labelled examples, an unlabelled row's target changes
 * nothing (NaN or zeros: byte-identical weights), a batch without a task's labels adds nothing for
 * it (log σ² included), and ten steps agree with the tfjs engine (fixed and uncertainty weighting)
 * from the same weights and batches. Through the CLI: `--data partial.jsonl` says and records the
 * label counts as the tfjs engine does, and two gloo ranks equal one on masked batches.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fileSystemHandler, trainModel, type OptimizerPlan, type TrainingPlan } from 'mtlc/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TensorSource } from '../../src/runtime/data/memory.js';
import { Rng, deriveSeed } from '../../src/runtime/random.js';
import { loadSavedWeights } from '../../src/runtime/train/checkpoint.js';
import { writeShard } from '../../src/runtime/torch/handover.js';
import { PyHelper, compileFixture, maxRelErr, root, skipReason, torchPython, type CompiledFixture } from './torch-helpers.js';

const N = 80;
const BATCH = 8;

interface Data {
  xs: tf.Tensor;
  ys: Record<string, tf.Tensor>;
  labelled: Record<string, tf.Tensor1D>;
}

/**
 * Examples in the order the tfjs engine will present them (its shuffle of epoch 1 undone, so both
 * engines see the same batches): task 0 labelled on every other example, task 1 on every fifth
 * except none in the fourth batch, the last task everywhere. `fill` goes into unlabelled targets.
 */
function partialData(f: CompiledFixture, seed: number, fill: number, order: number[] | null): Data {
  return tf.tidy(() => {
    const present = (k: number, i: number): boolean => (i === 0 ? k % 2 === 0 : i === 1 ? k % 5 === 0 && Math.floor(k / BATCH) !== 3 : true);
    const xs = tf.randomUniform([N, ...f.model.input.shape], 0, 1, 'float32', seed);
    const ys: Record<string, tf.Tensor> = {};
    const labelled: Record<string, tf.Tensor1D> = {};
    f.model.towers.forEach((t, i) => {
      const units = t.head.outputShape[0]!;
      const r = tf.randomUniform([N, units], 0, 1, 'float32', seed * 10 + i);
      const y = t.loss === 'categoricalCrossentropy' ? tf.oneHot(tf.argMax(r, 1), units).toFloat() : t.loss === 'binaryCrossentropy' ? tf.round(r) : r;
      const mask = Array.from({ length: N }, (_, k) => (present(k, i) ? 1 : 0));
      ys[t.task] = tf.where(tf.tensor1d(mask, 'bool').reshape([N, 1]).tile([1, units]), y, tf.fill([N, units], fill));
      if (i < f.model.towers.length - 1) labelled[t.task] = tf.tensor1d(mask);
    });
    if (!order) return { xs, ys, labelled };
    // Row order[k] of the returned data is presented k-th.
    const inverse = new Array<number>(N);
    order.forEach((o, k) => (inverse[o] = k));
    const idx = tf.tensor1d(inverse, 'int32');
    return {
      xs: tf.gather(xs, idx),
      ys: Object.fromEntries(Object.entries(ys).map(([k, v]) => [k, tf.gather(v, idx)])),
      labelled: Object.fromEntries(Object.entries(labelled).map(([k, v]) => [k, tf.gather(v, idx) as tf.Tensor1D])),
    };
  });
}

interface Case {
  optimizer: OptimizerPlan;
  weighting: TrainingPlan['taskWeighting'];
}
const CASES: Case[] = [
  { optimizer: { type: 'sgd', learningRate: 0.05, momentum: 0.9 }, weighting: { type: 'fixed' } },
  { optimizer: { type: 'adam', learningRate: 0.001 }, weighting: { type: 'uncertainty' } },
];

type History = { loss: number; labelled?: Record<string, number>; tasks: Record<string, { loss: number; metrics: Record<string, number> }>; logVariance?: Record<string, number> }[];

describe.skipIf(!torchPython)(`torch engine on partially labelled data ${skipReason ?? ''}`, () => {
  let py: PyHelper;
  let f: CompiledFixture;
  beforeAll(async () => {
    py = new PyHelper(torchPython!);
    await py.ready();
    f = await compileFixture('test/torch/fixtures/trainable.yaml');
  }, 120_000);
  afterAll(() => {
    py?.close();
    if (f) rmSync(f.dir, { recursive: true, force: true });
  });

  /** The torch loop on one epoch of `data` in its order; its history and final weights. */
  async function torchTrain(name: string, plan: TrainingPlan, data: Data): Promise<{ history: History; weights: string }> {
    const jobDir = path.join(f.dir, name, 'torch');
    await writeShard(new TensorSource('test data', data.xs, data.ys, data.labelled), path.join(jobDir, 'data', 'train'), f.model.input.shape, f.model.towers.map((t) => t.task));
    const init = f.build({ seed: plan.seed });
    await init.model.save(fileSystemHandler(path.join(jobDir, 'init')));
    init.model.dispose();
    writeFileSync(path.join(jobDir, 'job.json'), JSON.stringify({ version: 1, runDir: '..', initModel: 'init', trainData: 'data/train', plan, seed: plan.seed, epochs: 1, batchSize: BATCH, resume: false, shuffle: false }));
    const r = await py.request<{ history: History }>({ op: 'train', root: f.torchRoot, package: f.torchPackage, job: path.join(jobDir, 'job.json') });
    return { history: r.history, weights: path.join(f.dir, name, 'model') };
  }

  CASES.forEach((c, n) => {
    it(`optimizer=${c.optimizer.type}; weighting=${c.weighting.type}: 10 steps agree with tfjs; NaN or zero targets in unlabelled rows give byte-identical weights`, async () => {
      await tf.setBackend('cpu');
      const seed = 21 + n;
      const plan: TrainingPlan = { ...f.plan, optimizer: c.optimizer, batchSize: BATCH, epochs: 1, validationSplit: 0, seed, taskWeighting: c.weighting };
      const order = new Rng(deriveSeed(seed, 1)).shuffle(Array.from({ length: N }, (_, i) => i));
      const presented = partialData(f, seed, Number.NaN, null);
      const zeros = partialData(f, seed, 0, null);
      const withNaN = await torchTrain(`nan-${n}`, plan, presented);
      const withZeros = await torchTrain(`zero-${n}`, plan, zeros);
      expect(readFileSync(path.join(withNaN.weights, 'weights.bin')).equals(readFileSync(path.join(withZeros.weights, 'weights.bin'))), 'NaN vs zero targets').toBe(true);

      const shuffled = partialData(f, seed, Number.NaN, order);
      const result = await trainModel(plan, f.build, { inputs: shuffled.xs, targets: shuffled.ys, labelled: shuffled.labelled, backend: 'cpu', quiet: true, seed });
      const mine = withNaN.history[0]!;
      const theirs = result.history[0]!;
      const tasks = f.model.towers.map((t) => t.task);
      expect(mine.labelled).toEqual({ [tasks[0]!]: N / 2, [tasks[1]!]: N / 5 - 2, [tasks[2]!]: N });
      expect(theirs.labelled).toEqual(mine.labelled);
      for (const t of tasks) {
        expect(Math.abs(mine.tasks[t]!.loss - theirs.tasks[t]!.loss), `loss of ${t}`).toBeLessThanOrEqual(1e-5 * Math.max(1, theirs.tasks[t]!.loss));
        for (const [m, v] of Object.entries(theirs.tasks[t]!.metrics)) expect(Math.abs(mine.tasks[t]!.metrics[m]! - v), `${t} ${m}`).toBeLessThanOrEqual(1e-5);
      }
      expect(Math.abs(mine.loss - theirs.loss), 'objective').toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(theirs.loss)));
      if (c.weighting.type === 'uncertainty') for (const t of tasks) expect(Math.abs(mine.logVariance![t]! - theirs.logVariance![t]!), `log σ² of ${t}`).toBeLessThanOrEqual(1e-5);
      const torchWeights = await loadSavedWeights(withNaN.weights);
      let worst = 0;
      let worstName = '';
      for (const w of result.model.weights) {
        const e = maxRelErr(torchWeights[w.originalName]!.dataSync(), w.read().dataSync());
        if (e > worst) [worst, worstName] = [e, w.originalName];
      }
      expect(worst, `largest difference at ${worstName}`).toBeLessThanOrEqual(1e-4);
      tf.dispose([...Object.values(torchWeights), presented.xs, zeros.xs, shuffled.xs, ...[presented, zeros, shuffled].flatMap((d) => [...Object.values(d.ys), ...Object.values(d.labelled)])]);
      result.model.dispose();
    });
  });
});

const CLI = path.join(root, 'bin', 'mtlc.js');
const SPEC = path.join(root, 'test', 'fixtures', 'data', 'tiny-spec.yaml');

describe.skipIf(!torchPython)(`mtlc train --engine torch --data partial.jsonl ${skipReason ?? ''}`, () => {
  let dir: string;
  beforeAll(() => {
    mkdirSync(path.join(root, '.mtlc-cache'), { recursive: true });
    dir = mkdtempSync(path.join(root, '.mtlc-cache', 'torch-partial-'));
    const rows = readFileSync(path.join(root, 'test', 'fixtures', 'data', 'tiny.jsonl'), 'utf8').trim().split('\n');
    // a missing on every fourth row, b labelled on every sixth (missing or null elsewhere).
    const partial = rows.map((line, i) => {
      const o = JSON.parse(line) as Record<string, unknown>;
      if (i % 4 === 3) delete o['a'];
      if (i % 6 !== 0) o['b'] = i % 2 ? null : undefined;
      return JSON.stringify(o);
    });
    writeFileSync(path.join(dir, 'partial.jsonl'), `${partial.join('\n')}\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const train = (args: string[]) => spawnSync(process.execPath, [CLI, 'train', SPEC, '--data', 'partial.jsonl', '--epochs', '2', ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 300_000 });
  const records = (run: string) => readFileSync(path.join(dir, run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { labelled?: Record<string, number>; val?: { loss: number } });

  it('the start line and metrics.jsonl carry the label counts as with the tfjs engine; 2 gloo ranks = 1 rank', async () => {
    const tfjs = train(['--out', 'tfjs']);
    expect(tfjs.status, tfjs.stderr).toBe(0);
    const one = train(['--engine', 'torch', '--out', 'one']);
    expect(one.status, one.stderr).toBe(0);
    const two = train(['--engine', 'torch', '--nproc', '2', '--out', 'two', '--quiet']);
    expect(two.status, two.stderr).toBe(0);
    const said = /labelled: a \d+, b \d+/.exec(tfjs.stderr + tfjs.stdout)?.[0];
    expect(said, tfjs.stderr).toBeDefined();
    expect(one.stderr + one.stdout).toContain(said!);
    const expected = records('tfjs').map((r) => r.labelled);
    expect(expected[0]).toBeDefined();
    expect(records('one').map((r) => r.labelled)).toEqual(expected);
    expect(records('two').map((r) => r.labelled)).toEqual(expected);
    const a = await loadSavedWeights(path.join(dir, 'two', 'model'));
    const b = await loadSavedWeights(path.join(dir, 'one', 'model'));
    for (const name of Object.keys(b)) expect(maxRelErr(a[name]!.dataSync(), b[name]!.dataSync()), name).toBeLessThanOrEqual(1e-5);
    const [r1, r2] = [records('one'), records('two')];
    r1.forEach((r, i) => expect(Math.abs((r2[i]!.val?.loss ?? 0) - (r.val?.loss ?? 0)), 'validation loss').toBeLessThanOrEqual(1e-5));
    expect(existsSync(path.join(dir, 'one', 'model', 'model.json'))).toBe(true);
  }, 300_000);
});
