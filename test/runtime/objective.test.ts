/**
 * The training objective skips multiplying by a weight of exactly 1 and starts its sum at the
 * first term (fewer kernels per step): its value and every gradient must be, bit for bit, those
 * of the plain formula 0 + Σ (loss × task weight) × lossWeight, on wasm as `mtlc train` runs it.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/runtime/backend.js';
import { objective, outputIndex, taskRuntimes } from '../../src/runtime/train/objective.js';
import type { TaskPlan } from '../../src/runtime/plan.js';

function model(): tf.LayersModel {
  const x = tf.input({ shape: [6], name: 'x' });
  const h = tf.layers.dense({ units: 8, activation: 'tanh', name: 'h', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(x) as tf.SymbolicTensor;
  const a = tf.layers.dense({ units: 3, activation: 'softmax', name: 'a', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(h) as tf.SymbolicTensor;
  const b = tf.layers.dense({ units: 2, name: 'b', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: [a, b] });
}

const bits = (t: tf.Tensor): number[] => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer));

describe('objective', () => {
  // Weights of 1 (skipped) and not (multiplied), in the task weight and in lossWeight.
  it.each([
    { dynamic: { a: 1, b: 1 }, lossWeight: [1, 1] },
    { dynamic: { a: 1.3, b: 1 }, lossWeight: [1, 0.25] },
    { dynamic: { a: 1, b: 0.7 }, lossWeight: [3, 1] },
  ])('total and gradients are the plain weighted sum, bit for bit (%o)', async ({ dynamic, lossWeight }) => {
    await selectBackend('wasm');
    const m = model();
    const plans: TaskPlan[] = [
      { name: 'a', loss: 'categoricalCrossentropy', lossWeight: lossWeight[0]!, metrics: ['accuracy'], outputShape: [3] },
      { name: 'b', loss: 'meanSquaredError', lossWeight: lossWeight[1]!, metrics: [], outputShape: [2] },
    ];
    const tasks = taskRuntimes(plans);
    const xs = tf.randomNormal([16, 6], 0, 1, 'float32', 5);
    const ys = { a: tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 3), 'int32'), 3).toFloat(), b: tf.randomNormal([16, 2], 0, 1, 'float32', 6) };
    const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
    const outIdx = outputIndex(m, ['a', 'b']);
    const ours = tf.variableGrads(() => {
      const o = objective({ model: m, tasks, outIdx, logVars: {}, dynamic }, xs, ys, (t) => new Error(t));
      tf.dispose([o.losses, o.metrics].filter((t): t is tf.Tensor => t !== null));
      return o.total;
    }, vars);
    const plain = tf.variableGrads(() => {
      const outs = m.apply(xs, { training: true }) as tf.Tensor[];
      let total: tf.Scalar = tf.scalar(0);
      tasks.forEach((t, i) => {
        const loss = tf.mean(t.loss(ys[t.plan.name as 'a' | 'b'], outs[outIdx.get(t.plan.name)!]!)) as tf.Scalar;
        total = tf.add(total, tf.mul(tf.mul(loss, dynamic[t.plan.name as 'a' | 'b']), lossWeight[i]!));
      });
      return total;
    }, vars);
    expect(bits(ours.value)).toEqual(bits(plain.value));
    for (const v of vars) expect(bits(ours.grads[v.name]!), v.name).toEqual(bits(plain.grads[v.name]!));
    tf.dispose([ours.value, plain.value, ...Object.values(ours.grads), ...Object.values(plain.grads), xs, ...Object.values(ys)]);
    m.dispose();
  });
});
