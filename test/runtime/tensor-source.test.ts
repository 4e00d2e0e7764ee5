/**
 * TensorSource's batches (what trainModel trains on from tensors and the built-in MultiMNIST)
 * are, bit for bit, the rows tf.gather takes in the epoch's shuffled order: on wasm and cpu
 * they are copied from a host copy of the data instead of gathered, which must not change a
 * value (NaN targets of unlabelled rows included), a shape or a dtype.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { TensorSource } from 'mtlc/runtime';
import { selectBackend } from '../../src/runtime/backend.js';
import { Rng } from '../../src/runtime/random.js';

const bytes = (t: tf.Tensor): Uint8Array => {
  const v = t.dataSync() as tf.TypedArray;
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
};

describe.each(['wasm', 'cpu'] as const)('TensorSource batches on %s', (backend) => {
  it('are the gathered rows, bit for bit, in the shuffled order', async () => {
    await selectBackend(backend);
    const n = 23;
    const xs = tf.randomUniform([n, 4, 3, 2], -1, 1, 'float32', 3);
    // A target with NaN rows (unlabelled), an int32 one, and a label mask.
    const left = tf.tidy(() => tf.where(tf.tensor1d(Array.from({ length: n }, (_, i) => i % 3 === 0), 'bool').reshape([n, 1]), tf.fill([n, 5], Number.NaN), tf.randomNormal([n, 5], 0, 1, 'float32', 4)));
    const right = tf.tensor2d(Array.from({ length: n * 2 }, (_, i) => (i * 7919) % 101), [n, 2], 'int32');
    const mask = tf.tensor1d(Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : 1)), 'float32');
    const source = new TensorSource('test', xs, { left, right }, { left: mask });
    for (const seed of [11, null]) {
      const order = Array.from({ length: n }, (_, i) => i);
      if (seed !== null) new Rng(seed).shuffle(order);
      let start = 0;
      for await (const batch of source.batches(5, seed)) {
        const idx = tf.tensor1d(order.slice(start, start + 5), 'int32');
        const expected: [tf.Tensor, tf.Tensor][] = [
          [batch.xs, tf.gather(xs, idx)],
          [batch.ys['left']!, tf.gather(left, idx)],
          [batch.ys['right']!, tf.gather(right, idx)],
          [batch.labelled!['left']!, tf.gather(mask, idx)],
        ];
        for (const [got, want] of expected) {
          expect(got.dtype).toBe(want.dtype);
          expect(got.shape).toEqual(want.shape);
          expect(bytes(got)).toEqual(bytes(want));
        }
        expect(batch.size).toBe(Math.min(5, n - start));
        tf.dispose([idx, ...expected.flat()]);
        start += 5;
      }
      expect(start).toBeGreaterThanOrEqual(n);
    }
    tf.dispose([xs, left, right, mask]);
  });
});
