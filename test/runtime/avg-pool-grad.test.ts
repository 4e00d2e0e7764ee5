/**
 * Average pooling's gradient against central differences of its forward, on cpu, wasm (SIMD)
 * and wasm without SIMD: with 'same' padding an edge window averages only its in-bounds inputs,
 * so its gradient divides by that count (tfjs 4.22's kernels divided by the full window).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/runtime/backend.js';
import { useWasmSimdKernels } from '../../src/runtime/wasm-kernels/index.js';

function rand(n: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

const CASES: { shape: [number, number, number, number]; pool: [number, number]; strides: [number, number]; padding: 'same' | 'valid' }[] = [
  { shape: [2, 5, 5, 3], pool: [3, 3], strides: [1, 1], padding: 'same' },
  { shape: [1, 5, 5, 2], pool: [2, 2], strides: [2, 2], padding: 'same' },
  { shape: [1, 6, 7, 5], pool: [3, 2], strides: [2, 3], padding: 'same' },
  { shape: [1, 6, 6, 4], pool: [2, 2], strides: [2, 2], padding: 'valid' },
];

afterAll(async () => {
  useWasmSimdKernels(true);
  await tf.setBackend('cpu');
});

for (const [backend, simd] of [['cpu', true], ['wasm', true], ['wasm', false]] as const) {
  describe(`average pooling gradient (${backend}${backend === 'wasm' ? (simd ? ', SIMD' : ', no SIMD') : ''})`, () => {
    for (const c of CASES) {
      it(`backend=${backend}; simd=${simd}; shape=${c.shape.join('x')}; pool=${c.pool.join('x')}; strides=${c.strides.join('x')}; padding=${c.padding}: equals central differences`, async () => {
        await selectBackend(backend);
        useWasmSimdKernels(simd);
        const n = c.shape.reduce((a, b) => a * b, 1);
        const x0 = rand(n, 7);
        const loss = (x: tf.Tensor): tf.Scalar => {
          const y = tf.avgPool(x as tf.Tensor4D, c.pool, c.strides, c.padding);
          return tf.sum(tf.mul(y, tf.tensor(rand(y.size, 11), y.shape)));
        };
        const analytic = tf.tidy(() => Array.from(tf.grad(loss)(tf.tensor4d(x0, c.shape)).dataSync()));
        const value = (x: number[]) => tf.tidy(() => loss(tf.tensor4d(x, c.shape)).dataSync()[0]!);
        const eps = 1e-2;
        let worst = 0;
        for (let e = 0; e < n; e++) {
          const plus = [...x0];
          const minus = [...x0];
          plus[e]! += eps;
          minus[e]! -= eps;
          worst = Math.max(worst, Math.abs((value(plus) - value(minus)) / (2 * eps) - analytic[e]!));
        }
        // The forward is linear: central differences are exact up to float32 rounding.
        expect(worst).toBeLessThan(2e-3);
      });
    }
  });
}
