/**
 * How often a junction's forward runs. tfjs-layers' executor applies a layer once per output
 * (bench/NOTES.md); CrossStitch hands a repeated call its previous outputs, only when they are
 * the same function of the same values.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { CrossStitch, crossStitchMix, selectBackend, trainModel } from 'mtlc/runtime';
import { describe, expect, it } from 'vitest';
import { trainCustomerSignals } from '../../generated/customer-signals/index.js';
import { tinyBuild, tinyData, tinyPlan } from './train-helpers.js';

/** Kernel names run by `f`, with their counts. */
async function kernelCounts(f: () => Promise<void> | void): Promise<Map<string, number>> {
  const info = await tf.profile(async () => {
    await f();
  });
  const m = new Map<string, number>();
  for (const k of info.kernels) if (!k.name.endsWith('__op')) m.set(k.name, (m.get(k.name) ?? 0) + 1);
  return m;
}

describe.each(['cpu', 'wasm'] as const)('junction forward calls on %s', (backend) => {
  it('trainModel: one forward and one backward kernel per junction and step (tiny model, 5 steps)', async () => {
    await selectBackend(backend);
    const data = tinyData(40);
    let result: Awaited<ReturnType<typeof trainModel>> | undefined;
    const counts = await kernelCounts(async () => {
      result = await trainModel(tinyPlan({ epochs: 1, batchSize: 8 }), tinyBuild, { ...data, backend, quiet: true });
    });
    expect(counts.get('MtlcCrossStitch')).toBe(5);
    expect(counts.get('MtlcCrossStitchGrad')).toBe(5);
    result!.model.dispose();
    tf.dispose([data.inputs, ...Object.values(data.targets)]);
  });

  it('generated CustomerSignals (3-tower scalar + 2-tower channel junctions): one forward per junction and training step', async () => {
    await selectBackend(backend);
    const x = tf.randomUniform([48, 24], 0, 1, 'float32', 1);
    const targets = { churn: tf.randomUniform([48, 1], 0, 1, 'float32', 2).round(), spend: tf.randomUniform([48, 1], 0, 3, 'float32', 3), tenure: tf.oneHot(tf.tensor1d([...Array(48).keys()].map((i) => i % 4), 'int32'), 4).toFloat() };
    let run: Awaited<ReturnType<typeof trainCustomerSignals>> | undefined;
    const training = await kernelCounts(async () => {
      run = await trainCustomerSignals({ inputs: x, targets, epochs: 1, batchSize: 16, validationSplit: 0, backend, quiet: true });
    });
    expect(training.get('MtlcCrossStitch')).toBe(2 * 3);
    expect(training.get('MtlcCrossStitchGrad')).toBe(2 * 3);
    tf.dispose([x, ...Object.values(targets)]);
    run!.model.dispose();
  });

  it('unit mode: one concat (its forward) per apply', async () => {
    await selectBackend(backend);
    const input = tf.input({ shape: [3] });
    const a = tf.layers.dense({ units: 4 }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 2 }).apply(input) as tf.SymbolicTensor;
    const outs = new CrossStitch({ mode: 'unit' }).apply([a, b]) as tf.SymbolicTensor[];
    const model = tf.model({ inputs: input, outputs: outs });
    const x = tf.ones([5, 3]);
    const counts = await kernelCounts(() => {
      tf.dispose(model.apply(x, { training: true }) as tf.Tensor[]);
    });
    expect(counts.get('Concat')).toBe(1);
    x.dispose();
    model.dispose();
  });
});

/** The layer as it was: the mix computed on every call, however often the executor asks. */
class EveryCall extends CrossStitch {
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    const xs = Array.isArray(inputs) ? inputs : [inputs];
    return tf.tidy(() => crossStitchMix(this.mode, xs, this.weights[0]!.read()));
  }
}

describe.each(['cpu', 'wasm'] as const)('gradients through a model on %s', (backend) => {
  it('every weight\'s gradient (3 towers, channel junction) equals that of a layer computing on every call, bit for bit', async () => {
    await selectBackend(backend);
    const grads = (Stitch: typeof CrossStitch): Float32Array[] => {
      const input = tf.input({ shape: [5] });
      const towers = [0, 1, 2].map((t) => tf.layers.dense({ units: 4, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 10 + t }) }).apply(input) as tf.SymbolicTensor);
      const stitched = new Stitch({ mode: 'channel', init: { self: 0.6, other: 0.4 } }).apply(towers) as tf.SymbolicTensor[];
      const heads = stitched.map((t, i) => tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 20 + i }) }).apply(t) as tf.SymbolicTensor);
      const model = tf.model({ inputs: input, outputs: heads });
      const x = tf.randomUniform([6, 5], -1, 1, 'float32', 30);
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads: g } = tf.variableGrads(() => {
        const outs = model.apply(x, { training: true }) as tf.Tensor[];
        return tf.addN(outs.map((o, i) => tf.sum(tf.mul(o, o).mul(i + 1)))) as tf.Scalar;
      }, vars);
      const out = vars.map((v) => g[v.name]!.dataSync() as Float32Array);
      tf.dispose([x, value, ...Object.values(g)]);
      model.dispose();
      return out;
    };
    const once = grads(CrossStitch);
    const every = grads(EveryCall);
    expect(once).toHaveLength(every.length);
    once.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(every[i]!)));
  });
});

describe('a repeated call reuses outputs only for the same values', () => {
  function layerOn(xs: tf.Tensor[]): CrossStitch {
    const layer = new CrossStitch({ mode: 'channel', init: { self: 0.7, other: 0.3 } });
    layer.build(xs.map((x) => x.shape));
    return layer;
  }

  it('after α is assigned, the same inputs give the new mix', async () => {
    await selectBackend('cpu');
    const xs = [tf.randomNormal([2, 3], 0, 1, 'float32', 4), tf.randomNormal([2, 3], 0, 1, 'float32', 5)];
    const layer = layerOn(xs);
    const first = layer.apply(xs) as tf.Tensor[];
    const again = layer.apply(xs) as tf.Tensor[];
    expect(again[0]).toBe(first[0]);
    const newAlpha = tf.tensor3d([[[1, 1, 1], [2, 2, 2]], [[0, 0, 0], [1, 1, 1]]]);
    layer.setWeights([newAlpha]);
    const after = layer.apply(xs) as tf.Tensor[];
    const want = crossStitchMix('channel', xs, newAlpha, false);
    for (let i = 0; i < 2; i++) expect(Array.from(after[i]!.dataSync())).toEqual(Array.from(want[i]!.dataSync()));
    tf.dispose([...xs, ...first, ...after, ...want, newAlpha]);
    layer.weights.forEach((w) => w.dispose());
  });

  it('outputs made outside a gradient scope are not reused inside one: α still gets its gradient', async () => {
    await selectBackend('cpu');
    const xs = [tf.randomNormal([2, 3], 0, 1, 'float32', 6), tf.randomNormal([2, 3], 0, 1, 'float32', 7)];
    const layer = layerOn(xs);
    const outside = layer.apply(xs) as tf.Tensor[];
    const alpha = layer.trainableWeights[0]!.read() as tf.Variable;
    const loss = (): tf.Scalar => {
      const [y0, y1] = layer.apply(xs) as tf.Tensor[];
      return tf.add(tf.sum(tf.mul(y0!, y0!)), tf.sum(y1!)) as tf.Scalar;
    };
    const { value, grads } = tf.variableGrads(loss, [alpha]);
    const ref = tf.grad((a: tf.Tensor) => {
      const [y0, y1] = crossStitchMix('channel', xs, a, false);
      return tf.add(tf.sum(tf.mul(y0!, y0!)), tf.sum(y1!));
    })(alpha);
    expect(grads[alpha.name]).toBeDefined();
    const got = Array.from(grads[alpha.name]!.dataSync());
    Array.from(ref.dataSync()).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    tf.dispose([...xs, ...outside, value, ref, ...Object.values(grads)]);
    layer.weights.forEach((w) => w.dispose());
  });
});
