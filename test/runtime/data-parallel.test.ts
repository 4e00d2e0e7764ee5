/**
 * Data-parallel training (src/runtime/train/data-parallel.ts): trainModel with `workers: 2` or 3
 * reaches the weights, losses and metrics of the single-thread loop (float summation order
 * aside), on cpu and wasm, with uneven last batches and uncertainty weighting; refuses what would
 * change the math; leaves no tensors behind.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossStitch, runTrainingCli, selectBackend, trainModel, withSeededRandom, type BuiltModel, type ModelBuilder, type TrainingPlan } from 'mtlc/runtime';
import { shardSizes } from '../../src/runtime/train/data-parallel.js';
import { tinyBuild, tinyData, tinyPlan } from './train-helpers.js';
import { relErr } from './rel-err.js';

/** A conv pair on 8×8×1 images stitched in channel mode: exercises the conv and cross-stitch kernels. */
const convBuild: ModelBuilder<'a' | 'b'> = (options) => {
  const make = (): BuiltModel<'a' | 'b'> => {
    const input = tf.input({ shape: [8, 8, 1], name: 'image' });
    const tower = (t: string) => tf.layers.maxPooling2d({ poolSize: 2, name: `${t}_pool` }).apply(tf.layers.conv2d({ filters: 3, kernelSize: 3, name: `${t}_conv` }).apply(input)) as tf.SymbolicTensor;
    const [a1, b1] = crossStitch({ mode: 'channel', init: { self: 0.9, other: 0.1 }, name: 'cross_stitch_j' }).apply([tower('a'), tower('b')]) as tf.SymbolicTensor[];
    const head = (t: string, x: tf.SymbolicTensor, units: number, activation: 'softmax' | 'linear') =>
      tf.layers.dense({ units, activation, name: t }).apply(tf.layers.flatten({ name: `${t}_flat` }).apply(tf.layers.activation({ activation: 'relu', name: `${t}_relu` }).apply(x))) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [head('a', a1!, 3, 'softmax'), head('b', b1!, 1, 'linear')] });
    return {
      model,
      predict: (x) => {
        const [pa, pb] = model.predict(x) as tf.Tensor[];
        return { a: pa!, b: pb! };
      },
      tasks: ['a', 'b'] as const,
      junctions: [{ name: 'j', layerName: 'cross_stitch_j', mode: 'channel', towers: ['a', 'b'] }],
    };
  };
  return options?.seed !== undefined ? withSeededRandom(options.seed, make) : make();
};

function convData(n: number): { inputs: tf.Tensor; targets: { a: tf.Tensor; b: tf.Tensor } } {
  const x = tf.randomUniform([n, 8, 8, 1], 0, 1, 'float32', 3);
  const cls = Array.from({ length: n }, (_, i) => (i * 7) % 3);
  return { inputs: x, targets: { a: tf.oneHot(tf.tensor1d(cls, 'int32'), 3).toFloat(), b: tf.sum(x, [1, 2]) } };
}


interface Run {
  weights: Float32Array[];
  losses: number[];
  metrics: number[];
}

async function run(plan: TrainingPlan, build: ModelBuilder<'a' | 'b'>, data: ReturnType<typeof tinyData>, workers: number, backend: 'cpu' | 'wasm'): Promise<Run> {
  const r = await trainModel(plan, build, { inputs: data.inputs, targets: data.targets, backend, quiet: true, workers });
  const out: Run = {
    weights: r.model.getWeights().map((w) => w.dataSync() as Float32Array),
    losses: r.history.flatMap((h) => [h.loss, ...Object.values(h.tasks).map((t) => t.loss), ...Object.values(h.logVariance ?? {})]),
    metrics: r.history.flatMap((h) => Object.values(h.tasks).flatMap((t) => Object.values(t.metrics))),
  };
  r.model.dispose();
  return out;
}

function expectSame(got: Run, want: Run): void {
  expect(got.weights.length).toBe(want.weights.length);
  got.weights.forEach((w, i) => expect(relErr(w, want.weights[i]!), `weight ${i}`).toBeLessThan(1e-4));
  expect(relErr(got.losses, want.losses)).toBeLessThan(1e-4);
  expect(relErr(got.metrics, want.metrics)).toBeLessThan(1e-6);
}

describe('shardSizes', () => {
  it('splits as evenly as possible, larger shards first, never an empty shard', () => {
    expect(shardSizes(64, 2)).toEqual([32, 32]);
    expect(shardSizes(7, 2)).toEqual([4, 3]);
    expect(shardSizes(10, 3)).toEqual([4, 3, 3]);
    expect(shardSizes(1, 2)).toEqual([1]);
  });
});

describe.each(['cpu', 'wasm'] as const)('data-parallel trainModel on %s', (backend) => {
  beforeAll(async () => {
    await selectBackend(backend);
  });

  it('dense pair, adam, 2 epochs of 43 examples in batches of 8 (last batch 3): workers 2 = workers 1', async () => {
    const data = tinyData(43);
    const plan = tinyPlan({ backend });
    const one = await run(plan, tinyBuild, data, 1, backend);
    const before = tf.memory().numTensors;
    const two = await run(plan, tinyBuild, data, 2, backend);
    expect(tf.memory().numTensors).toBe(before);
    expectSame(two, one);
    tf.dispose([data.inputs, ...Object.values(data.targets)]);
  });

  it('conv pair with a channel junction, momentum, uncertainty weighting, batch 10: workers 3 = workers 1', async () => {
    const data = convData(30);
    const plan = tinyPlan({ backend, batchSize: 10, input: { name: 'image', shape: [8, 8, 1] }, optimizer: { type: 'momentum', learningRate: 0.05, momentum: 0.9 }, taskWeighting: { type: 'uncertainty' } } as Partial<TrainingPlan>);
    const one = await run(plan, convBuild, data, 1, backend);
    const three = await run(plan, convBuild, data, 3, backend);
    expectSame(three, one);
    tf.dispose([data.inputs, ...Object.values(data.targets)]);
  });
});

describe('data-parallel refusals', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('a dropout or batch-normalization layer: a TrainingError naming the layers', async () => {
    const build: ModelBuilder<'a' | 'b'> = () => {
      const built = tinyBuild();
      const input = tf.input({ shape: [4], name: 'x' });
      const h = tf.layers.dropout({ rate: 0.5, name: 'drop' }).apply(tf.layers.batchNormalization({ name: 'bn' }).apply(input)) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: [tf.layers.dense({ units: 3, activation: 'softmax', name: 'a' }).apply(h) as tf.SymbolicTensor, tf.layers.dense({ units: 1, name: 'b' }).apply(h) as tf.SymbolicTensor] });
      built.model.dispose();
      return { ...built, model, junctions: [] };
    };
    const data = tinyData(8);
    await expect(trainModel(tinyPlan(), build, { inputs: data.inputs, targets: data.targets, backend: 'cpu', quiet: true, workers: 2 })).rejects.toThrow(/--workers 2 cannot train this spec.*\n  layer 'bn': batch statistics.*use layerNormalization.*\n  layer 'drop': each thread would draw its own random numbers.*\nTrain with --workers 1/);
    await expect(trainModel(tinyPlan(), tinyBuild, { inputs: data.inputs, targets: data.targets, backend: 'cpu', quiet: true, workers: 0 })).rejects.toThrow(/workers must be a positive integer, got 0/);
    tf.dispose([data.inputs, ...Object.values(data.targets)]);
  });
});

describe('--workers on the training command line', () => {
  const fixture = fileURLToPath(new URL('../fixtures/data/tiny.jsonl', import.meta.url));
  const plan = tinyPlan({ data: { format: 'jsonl', path: fixture, input: 'x', targets: { a: 'a', b: 'b' } } });
  const cli = async (args: string[]) => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'mtlc-workers-'));
    let err = '';
    let out = '';
    try {
      const code = await runTrainingCli(plan, tinyBuild, ['--backend', 'cpu', '--out', 'run', '--quiet', ...args], { stdout: (t) => void (out += t), stderr: (t) => void (err += t), isTTY: false, cwd });
      const file = path.join(cwd, 'run', 'metrics.jsonl');
      const metrics = existsSync(file) ? readFileSync(file, 'utf8') : '';
      return { code, err, out, metrics };
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  };

  it('--workers 2 trains to the metrics of --workers 1; --help lists it', async () => {
    const one = await cli(['--workers', '1']);
    const two = await cli(['--workers', '2']);
    expect(two.code).toBe(0);
    const losses = (m: string) => m.trim().split('\n').map((l) => (JSON.parse(l) as { loss: number }).loss);
    expect(relErr(losses(two.metrics), losses(one.metrics))).toBeLessThan(1e-4);
    expect((await cli(['--help'])).out).toMatch(/--workers N/);
  });

  it('--workers 0 or x: exit 2 with the flag named', async () => {
    for (const v of ['0', 'x']) {
      const r = await cli(['--workers', v]);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`--workers: expected a whole number from 1 to 2147483647, got '${v}'`);
    }
  });
});
