/**
 * MultiMNIST, built in (PRODUCT.md / issue 5): two digits from the `mnist` package (10,000 real
 * 28×28 digits) overlaid in a 36×36 canvas, one at the upper left (offset 0,0) and one at the
 * lower right (offset 8,8), combined with max, resized to 28×28 with bilinear interpolation.
 * Labels: `left` and `right`, one-hot over 10 classes. Train and test draw from disjoint digit
 * sources (the first 80 % of each class's samples vs the rest). Deterministic for a seed.
 */
import { createRequire } from 'node:module';
import { Rng, deriveSeed } from '../random.js';

const SIZE = 28;
const CANVAS = 36;
const SHIFT = CANVAS - SIZE;
const TRAIN_FRACTION = 0.8;

export interface MultiMnistArrays {
  /** [n, 28, 28, 1] row-major, values in [0, 1]. */
  images: Float32Array;
  /** Digit classes. */
  left: Int32Array;
  right: Int32Array;
  n: number;
}

let digitsCache: Float32Array[] | undefined;

/** Per class, the flat pixels of its samples (784 each). */
function loadDigits(): Float32Array[] {
  if (digitsCache) return digitsCache;
  const require = createRequire(import.meta.url);
  const out: Float32Array[] = [];
  for (let d = 0; d < 10; d++) {
    const json = require(`mnist/src/digits/${d}.json`) as { data: number[] };
    out.push(Float32Array.from(json.data));
  }
  digitsCache = out;
  return out;
}

/** Bilinear resize of a square single-channel image (half-pixel centres, as tf.image.resizeBilinear with halfPixelCenters). */
function resizeBilinear(src: Float32Array, from: number, to: number, dst: Float32Array, offset: number): void {
  const scale = from / to;
  for (let y = 0; y < to; y++) {
    const sy = Math.min(Math.max((y + 0.5) * scale - 0.5, 0), from - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, from - 1);
    const fy = sy - y0;
    for (let x = 0; x < to; x++) {
      const sx = Math.min(Math.max((x + 0.5) * scale - 0.5, 0), from - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, from - 1);
      const fx = sx - x0;
      const top = src[y0 * from + x0]! * (1 - fx) + src[y0 * from + x1]! * fx;
      const bottom = src[y1 * from + x0]! * (1 - fx) + src[y1 * from + x1]! * fx;
      dst[offset + y * to + x] = top * (1 - fy) + bottom * fy;
    }
  }
}

/** Builds `n` MultiMNIST examples from the train or test digit source. */
export function makeMultiMnist(n: number, part: 'train' | 'test', seed: number): MultiMnistArrays {
  if (!Number.isInteger(n) || n < 1) throw new Error(`multimnist: size must be a positive integer, got ${n}`);
  const digits = loadDigits();
  const ranges = digits.map((d) => {
    const count = d.length / (SIZE * SIZE);
    const cut = Math.floor(count * TRAIN_FRACTION);
    return part === 'train' ? { start: 0, count: cut } : { start: cut, count: count - cut };
  });
  const rng = new Rng(deriveSeed(seed, part === 'train' ? 1 : 2));
  const images = new Float32Array(n * SIZE * SIZE);
  const left = new Int32Array(n);
  const right = new Int32Array(n);
  const canvas = new Float32Array(CANVAS * CANVAS);
  const pick = (): [number, number] => {
    const cls = rng.int(10);
    const r = ranges[cls]!;
    return [cls, r.start + rng.int(r.count)];
  };
  for (let i = 0; i < n; i++) {
    const [lc, li] = pick();
    const [rc, ri] = pick();
    canvas.fill(0);
    const draw = (cls: number, idx: number, off: number): void => {
      const d = digits[cls]!;
      const base = idx * SIZE * SIZE;
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) {
          const c = (y + off) * CANVAS + x + off;
          const v = d[base + y * SIZE + x]!;
          if (v > canvas[c]!) canvas[c] = v;
        }
      }
    };
    draw(lc, li, 0);
    draw(rc, ri, SHIFT);
    resizeBilinear(canvas, CANVAS, SIZE, images, i * SIZE * SIZE);
    left[i] = lc;
    right[i] = rc;
  }
  return { images, left, right, n };
}
