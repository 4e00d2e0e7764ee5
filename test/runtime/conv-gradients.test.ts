/**
 * lazyConvGradients (src/runtime/train/conv-gradients.ts): a linear conv2d on the model input no
 * longer computes the gradient w.r.t. the input, and every gradient, forward value and input
 * gradient (when asked for) stays what tf.layers computes, on cpu and on wasm.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { lazyConvGradients } from '../../src/runtime/train/conv-gradients.js';
import { registerWasmTrainingKernels } from '../../src/runtime/wasm-kernels/index.js';
import { relErr } from './rel-err.js';

interface NetOptions {
  strides: number;
  padding: 'valid' | 'same';
  useBias: boolean;
}

/** image → conv (linear) → maxPool → relu → conv (linear) → conv (relu) → flatten → dense softmax. */
function buildNet(o: NetOptions): tf.LayersModel {
  const input = tf.input({ shape: [12, 12, 2] });
  let t = tf.layers.conv2d({ name: 'conv_in', filters: 3, kernelSize: 3, strides: o.strides, padding: o.padding, useBias: o.useBias }).apply(input) as tf.SymbolicTensor;
  t = tf.layers.maxPooling2d({ poolSize: 2 }).apply(t) as tf.SymbolicTensor;
  t = tf.layers.activation({ activation: 'relu' }).apply(t) as tf.SymbolicTensor;
  t = tf.layers.conv2d({ name: 'conv_mid', filters: 4, kernelSize: 2, padding: 'same', useBias: o.useBias }).apply(t) as tf.SymbolicTensor;
  t = tf.layers.conv2d({ name: 'conv_relu', filters: 2, kernelSize: 1, activation: 'relu' }).apply(t) as tf.SymbolicTensor;
  t = tf.layers.flatten().apply(t) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: 'softmax' }).apply(t) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** Two nets with the same weights: the second with lazy conv gradients. */
function pair(o: NetOptions): { plain: tf.LayersModel; lazy: tf.LayersModel; changed: string[] } {
  const plain = buildNet(o);
  const lazy = buildNet(o);
  lazy.setWeights(plain.getWeights());
  return { plain, lazy, changed: lazyConvGradients(lazy) };
}

function data(seed: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const x = tf.randomUniform([4, 12, 12, 2], -1, 1, 'float32', seed) as tf.Tensor4D;
  const y = tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), 3).toFloat() as tf.Tensor2D;
  return { x, y };
}

const loss = (m: tf.LayersModel, x: tf.Tensor, y: tf.Tensor) => () => tf.losses.softmaxCrossEntropy(y, m.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;


/** Variable gradients in layer order (names differ between the two nets). */
function gradsInOrder(m: tf.LayersModel, f: () => tf.Scalar): Float32Array[] {
  const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(f, vars);
  const out = vars.map((v) => grads[v.name]!.dataSync() as Float32Array);
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

/** Kernel names run by `f`, with their counts. */
async function kernelCounts(f: () => void): Promise<Map<string, number>> {
  const info = await tf.profile(f);
  const m = new Map<string, number>();
  for (const k of info.kernels) if (!k.name.endsWith('__op')) m.set(k.name, (m.get(k.name) ?? 0) + 1);
  return m;
}

beforeAll(async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  await tf.ready();
});

const CASES: NetOptions[] = [
  { strides: 1, padding: 'valid', useBias: true },
  { strides: 2, padding: 'same', useBias: true },
  { strides: 1, padding: 'same', useBias: false },
];

describe.each(['cpu', 'wasm'] as const)('lazy conv gradients on %s', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  it('changes the linear conv2d layers only', () => {
    const { changed, plain, lazy } = pair(CASES[0]!);
    expect(changed).toEqual(['conv_in', 'conv_mid']);
    expect(lazyConvGradients(lazy)).toEqual(changed);
    plain.dispose();
    lazy.dispose();
  });

  for (const o of CASES) {
    const title = `stride=${o.strides}; padding=${o.padding}; bias=${o.useBias}`;

    it(`${title}: same outputs, same gradients for every weight and for the input`, () => {
      const { plain, lazy } = pair(o);
      const { x, y } = data(1);
      const yPlain = (plain.predict(x) as tf.Tensor).dataSync();
      const yLazy = (lazy.predict(x) as tf.Tensor).dataSync();
      expect(relErr(yLazy, yPlain)).toBeLessThan(1e-6);
      const gPlain = gradsInOrder(plain, loss(plain, x, y));
      const gLazy = gradsInOrder(lazy, loss(lazy, x, y));
      expect(gLazy.length).toBe(gPlain.length);
      gLazy.forEach((g, i) => expect(relErr(g, gPlain[i]!), `weight ${i}`).toBeLessThan(1e-5));
      // When the input gradient is asked for, it is computed, and equal.
      const dxOf = (m: tf.LayersModel) => tf.grad((xi: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, m.apply(xi, { training: true }) as tf.Tensor))(x);
      const dxPlain = dxOf(plain);
      const dxLazy = dxOf(lazy);
      expect(relErr(dxLazy.dataSync(), dxPlain.dataSync())).toBeLessThan(1e-5);
      tf.dispose([x, y, dxPlain, dxLazy]);
      plain.dispose();
      lazy.dispose();
    });

    it(`${title}: a weight-gradient step runs one input gradient fewer (the image's) and leaks nothing`, async () => {
      const { plain, lazy } = pair(o);
      const { x, y } = data(2);
      const step = (m: tf.LayersModel) => () => {
        const grads = gradsInOrder(m, loss(m, x, y));
        expect(grads.length).toBe(m.trainableWeights.length);
      };
      const before = tf.memory().numTensors;
      const cPlain = await kernelCounts(step(plain));
      const cLazy = await kernelCounts(step(lazy));
      expect(tf.memory().numTensors).toBe(before);
      // conv_in and conv_mid run fused; conv_relu is unfused by tfjs in gradient mode.
      expect(cPlain.get('Conv2DBackpropInput')).toBe(3);
      expect(cLazy.get('Conv2DBackpropInput')).toBe(2);
      expect(cLazy.get('Conv2DBackpropFilter')).toBe(cPlain.get('Conv2DBackpropFilter'));
      tf.dispose([x, y]);
      plain.dispose();
      lazy.dispose();
    });
  }
});
