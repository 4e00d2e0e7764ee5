/**
 * Tensors a user makes while one backend is active, then trains on or predicts with on another
 * (bench/NOTES.md: targets cast on cpu read as their int bits on wasm). Through the generated
 * CustomerSignals entry, every user path: inputs/targets, a tf.data.Dataset, predict after
 * training; each compared with the same run on tensors made on the training backend.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { hasOwnStorage, selectBackend, withOwnStorage, type EpochRecord } from 'mtlc/runtime';
import { describe, expect, it } from 'vitest';
import { buildCustomerSignals, trainCustomerSignals, type CustomerSignalsTargets } from '../../generated/customer-signals/index.js';

const N = 48;
const BATCH = 16;

interface Data {
  inputs: tf.Tensor;
  targets: CustomerSignalsTargets;
}

/** Made the way users make them: integer features and labels cast to float32. */
function makeData(): Data {
  const features = Array.from({ length: N * 24 }, (_, i) => (i * 7919) % 5);
  const churn = Array.from({ length: N }, (_, i) => i % 3 === 0);
  const spend = Array.from({ length: N }, (_, i) => ((i * 31) % 17) / 4);
  const tenure = Array.from({ length: N }, (_, i) => (i * 5) % 4);
  return {
    inputs: tf.tensor2d(features, [N, 24], 'int32').toFloat(),
    targets: {
      churn: tf.tensor2d(churn, [N, 1], 'bool').toFloat(),
      spend: tf.tensor2d(spend, [N, 1]),
      tenure: tf.oneHot(tf.tensor1d(tenure, 'int32'), 4).toFloat(),
    },
  };
}

function disposeData(d: Data): void {
  tf.dispose([d.inputs, ...Object.values(d.targets)]);
}

/** Batched { xs, ys } gathered from `d` as the dataset is iterated (on the training backend). */
function datasetOf(d: Data): tf.data.Dataset<{ xs: tf.Tensor; ys: Record<'churn' | 'spend' | 'tenure', tf.Tensor> }> {
  return tf.data.generator(function* () {
    for (let s = 0; s < N; s += BATCH) {
      const idx = Array.from({ length: Math.min(BATCH, N - s) }, (_, k) => (s + k) ^ 1);
      yield tf.tidy(() => {
        const i = tf.tensor1d(idx, 'int32');
        return { xs: tf.gather(d.inputs, i), ys: { churn: tf.gather(d.targets.churn, i), spend: tf.gather(d.targets.spend, i), tenure: tf.gather(d.targets.tenure, i) } };
      });
    }
  }) as unknown as tf.data.Dataset<{ xs: tf.Tensor; ys: Record<'churn' | 'spend' | 'tenure', tf.Tensor> }>;
}

async function dataOn(backend: 'cpu' | 'wasm'): Promise<Data> {
  await selectBackend(backend);
  return makeData();
}

function losses(history: EpochRecord[]): number[] {
  return history.flatMap((h) => [h.loss, ...Object.values(h.tasks).map((t) => t.loss)]);
}

const common = { epochs: 2, batchSize: BATCH, validationSplit: 0, seed: 3, quiet: true } as const;

describe.each([
  { made: 'cpu', trained: 'wasm' },
  { made: 'wasm', trained: 'cpu' },
] as const)('tensors made on $made, trained on $trained', ({ made, trained }) => {
  it(`inputs/targets: the same losses as tensors made on ${trained}, and predict on ${made}-made inputs matches`, async () => {
    const native = await dataOn(trained);
    const ref = await trainCustomerSignals({ ...common, inputs: native.inputs, targets: native.targets, backend: trained });
    const foreign = await dataOn(made);
    const run = await trainCustomerSignals({ ...common, inputs: foreign.inputs, targets: foreign.targets, backend: trained });
    expect(run.backend).toBe(trained);
    const [a, b] = [losses(ref.history), losses(run.history)];
    expect(a.every((v) => Number.isFinite(v) && v > 1e-3)).toBe(true);
    b.forEach((v, i) => expect(v).toBeCloseTo(a[i]!, 5));

    // The trained model, fed inputs made on the other backend.
    const xs = await dataOn(made);
    await selectBackend(trained);
    const built = run.built as ReturnType<typeof buildCustomerSignals>;
    const got = built.predict(xs.inputs);
    const want = built.predict(native.inputs);
    for (const task of built.tasks) expect(Array.from(await got[task].data())).toEqual(Array.from(await want[task].data()));
    tf.dispose([...Object.values(got), ...Object.values(want)]);
    [native, foreign, xs].forEach(disposeData);
    ref.model.dispose();
    run.model.dispose();
  });

  it('a tf.data.Dataset gathering from them: the same losses as from tensors made on the training backend', async () => {
    const native = await dataOn(trained);
    const ref = await trainCustomerSignals({ ...common, dataset: datasetOf(native), backend: trained });
    const foreign = await dataOn(made);
    const run = await trainCustomerSignals({ ...common, dataset: datasetOf(foreign), backend: trained });
    const [a, b] = [losses(ref.history), losses(run.history)];
    expect(a.every((v) => Number.isFinite(v) && v > 1e-3)).toBe(true);
    b.forEach((v, i) => expect(v).toBeCloseTo(a[i]!, 5));
    [native, foreign].forEach(disposeData);
    ref.model.dispose();
    run.model.dispose();
  });
});

describe('cpu casts', () => {
  it('int32 and bool casts to float32 and int32 get their own buffer of the target type', async () => {
    await selectBackend('cpu');
    const ints = tf.tensor1d([0, 2, 5], 'int32');
    const bools = tf.tensor1d([true, false, true], 'bool');
    const casts = [ints.toFloat(), bools.toFloat(), bools.toInt()];
    for (const c of casts) expect(hasOwnStorage(c)).toBe(true);
    expect(casts[0]!.dataSync()).toBeInstanceOf(Float32Array);
    expect(casts[2]!.dataSync()).toBeInstanceOf(Int32Array);
    await selectBackend('wasm');
    expect(Array.from(tf.sum(casts[0]!).dataSync())).toEqual([7]);
    expect(Array.from(tf.sum(casts[1]!).dataSync())).toEqual([2]);
    expect(Array.from(tf.sum(casts[2]!).dataSync())).toEqual([2]);
    tf.dispose([ints, bools, ...casts]);
  });

  it('withOwnStorage re-creates a tensor whose buffer holds another dtype (made before the runtime loaded)', async () => {
    await selectBackend('cpu');
    const ints = tf.tensor1d([1, 0, 3], 'int32');
    const shared = tfjsCpuCast(ints, 'float32');
    expect(hasOwnStorage(shared)).toBe(false);
    await selectBackend('wasm');
    const own = withOwnStorage(shared);
    expect(own).not.toBe(shared);
    expect(own.dtype).toBe('float32');
    expect(Array.from(tf.sum(own).dataSync())).toEqual([4]);
    expect(withOwnStorage(own)).toBe(own);
    tf.dispose([ints, shared, own]);
  });

  it('trainModel on wasm repairs inputs/targets cast on cpu by tfjs itself: the same losses as tensors made on wasm', async () => {
    const native = await dataOn('wasm');
    const ref = await trainCustomerSignals({ ...common, inputs: native.inputs, targets: native.targets, backend: 'wasm' });
    await selectBackend('cpu');
    const ints = makeData();
    const raw = [ints.inputs, ints.targets.churn, ints.targets.tenure].map((t) => tf.tensor(t.dataSync(), t.shape, 'int32'));
    const [inputs, churn, tenure] = raw.map((t) => tfjsCpuCast(t, 'float32')) as [tf.Tensor, tf.Tensor, tf.Tensor];
    expect([inputs, churn, tenure].some(hasOwnStorage)).toBe(false);
    const run = await trainCustomerSignals({ ...common, inputs, targets: { churn, spend: ints.targets.spend, tenure }, backend: 'wasm' });
    const [a, b] = [losses(ref.history), losses(run.history)];
    b.forEach((v, i) => expect(v).toBeCloseTo(a[i]!, 5));
    tf.dispose([...raw, inputs, churn, tenure]);
    [native, ints].forEach(disposeData);
    ref.model.dispose();
    run.model.dispose();
  });
});

/** What tfjs's own cpu Cast returns for a widening cast: the input's buffer under the new dtype. */
function tfjsCpuCast(t: tf.Tensor, dtype: tf.DataType): tf.Tensor {
  (tf.backend() as unknown as { incRef(dataId: object): void }).incRef(t.dataId);
  return tf.engine().makeTensorFromTensorInfo({ dataId: t.dataId, shape: [...t.shape], dtype });
}
