/**
 * UnsortedSegmentSum for wasm (absent in tfjs-backend-wasm 4.22; the gradient of `gather`
 * needs it): out[s, ...] = Σ_{n : ids[n] = s} x[n, ...], ids outside [0, numSegments) dropped
 * (as TensorFlow and the cpu backend do). segmentIds' shape is a prefix of x's shape.
 */
import * as tf from '@tensorflow/tfjs';
import { asWasm, type KernelArgs } from './util.js';

export function unsortedSegmentSum({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (attrs as { numSegments: number }).numSegments;
  const wb = asWasm(backend);
  const idRank = segmentIds.shape.length;
  const count = segmentIds.shape.reduce((p, d) => p * d, 1);
  const rest = x.shape.slice(idRank);
  const inner = rest.reduce((p, d) => p * d, 1);
  const out = wb.makeOutput([numSegments, ...rest], x.dtype);
  const xs = wb.typedArrayFromHeap(x);
  const ids = wb.typedArrayFromHeap(segmentIds);
  const os = wb.typedArrayFromHeap(out);
  os.fill(0);
  for (let n = 0; n < count; n++) {
    const s = ids[n]!;
    if (!(s >= 0 && s < numSegments)) continue;
    const from = n * inner;
    const to = s * inner;
    for (let k = 0; k < inner; k++) os[to + k] = os[to + k]! + xs[from + k]!;
  }
  return out;
}
