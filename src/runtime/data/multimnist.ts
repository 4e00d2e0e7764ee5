/**
 * MultiMNIST, built in: two digits from the `mnist` package (10,000 real 28×28 digits) overlaid
 * in a 36×36 canvas (combined with max) and resized to 28×28 with bilinear interpolation.
 * Labels: the first (upper-left) and second (lower-right) digit's classes. Train and test draw
 * from disjoint digit sources (the first 80 % of each class's samples vs the rest).
 * Deterministic for a seed.
 *
 * Placements (how much the digits overlap, measured by `inkOverlap`; docs/training.md has the
 * figures):
 * - `fixed` (default): first digit at offset (0,0), second at (8,8).
 * - `senerKoltun`: (0,0) and (6,6), as in Sener & Koltun, "Multi-Task Learning as
 *   Multi-Objective Optimization" (NeurIPS 2018), whose canvas is also 36×36.
 * - `random`: random shifts in the spirit of Sabour et al. ("Dynamic Routing Between Capsules",
 *   2017), kept ordered: the first digit at a uniform offset in 0..4 on each axis, the second in
 *   4..8, so the first digit is always the upper-left one (Sabour et al. shift both digits
 *   anywhere, which suits recognising the pair as a set, not naming the first and second).
 * `distinctClasses` redraws the second digit until its class differs from the first (Sabour et
 * al. do; Sener & Koltun do not).
 */
import { createRequire } from 'node:module';
import { Rng, deriveSeed } from '../random.js';

const SIZE = 28;
const CANVAS = 36;
const SHIFT = CANVAS - SIZE;
const TRAIN_FRACTION = 0.8;

export const MULTIMNIST_PLACEMENTS = ['fixed', 'senerKoltun', 'random'] as const;
export type MultiMnistPlacement = (typeof MULTIMNIST_PLACEMENTS)[number];

export interface MultiMnistOptions {
  readonly placement?: MultiMnistPlacement;
  readonly distinctClasses?: boolean;
}

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

/** Where the two digits go in the canvas: [first, second], each [row, column] of the top-left corner. */
function offsets(placement: MultiMnistPlacement, rng: Rng): [[number, number], [number, number]] {
  switch (placement) {
    case 'fixed':
      return [
        [0, 0],
        [SHIFT, SHIFT],
      ];
    case 'senerKoltun':
      return [
        [0, 0],
        [6, 6],
      ];
    case 'random': {
      // The first digit stays up-left of the second (its offset in 0..4, the second's in 4..8 on
      // each axis), so which digit is "first" can be read off the image.
      const half = SHIFT / 2;
      return [
        [rng.int(half + 1), rng.int(half + 1)],
        [half + rng.int(half + 1), half + rng.int(half + 1)],
      ];
    }
  }
}

/** One digit's pixels drawn into a canvas at an offset, combined with max. */
function draw(canvas: Float32Array, digit: Float32Array, base: number, [dy, dx]: readonly [number, number]): void {
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const c = (y + dy) * CANVAS + x + dx;
      const v = digit[base + y * SIZE + x]!;
      if (v > canvas[c]!) canvas[c] = v;
    }
  }
}

interface Sources {
  digits: Float32Array[];
  ranges: { start: number; count: number }[];
}

function sources(part: 'train' | 'test'): Sources {
  const digits = loadDigits();
  const ranges = digits.map((d) => {
    const count = d.length / (SIZE * SIZE);
    const cut = Math.floor(count * TRAIN_FRACTION);
    return part === 'train' ? { start: 0, count: cut } : { start: cut, count: count - cut };
  });
  return { digits, ranges };
}

/** The pairs a draw makes: classes, sample indices and offsets (the images follow from them). */
function* pairs(n: number, part: 'train' | 'test', seed: number, options: MultiMnistOptions, src: Sources) {
  const placement = options.placement ?? 'fixed';
  if (!MULTIMNIST_PLACEMENTS.includes(placement)) throw new Error(`multimnist: placement must be one of ${MULTIMNIST_PLACEMENTS.join(', ')}, got ${JSON.stringify(placement)}`);
  const rng = new Rng(deriveSeed(seed, part === 'train' ? 1 : 2));
  const pick = (): [number, number] => {
    const cls = rng.int(10);
    const r = src.ranges[cls]!;
    return [cls, r.start + rng.int(r.count)];
  };
  for (let i = 0; i < n; i++) {
    const first = pick();
    let second = pick();
    while (options.distinctClasses && second[0] === first[0]) second = pick();
    yield { first, second, at: offsets(placement, rng) };
  }
}

/** Builds `n` MultiMNIST examples from the train or test digit source. */
export function makeMultiMnist(n: number, part: 'train' | 'test', seed: number, options: MultiMnistOptions = {}): MultiMnistArrays {
  if (!Number.isInteger(n) || n < 1) throw new Error(`multimnist: size must be a positive integer, got ${n}`);
  const src = sources(part);
  const images = new Float32Array(n * SIZE * SIZE);
  const left = new Int32Array(n);
  const right = new Int32Array(n);
  const canvas = new Float32Array(CANVAS * CANVAS);
  let i = 0;
  for (const { first, second, at } of pairs(n, part, seed, options, src)) {
    canvas.fill(0);
    draw(canvas, src.digits[first[0]]!, first[1] * SIZE * SIZE, at[0]);
    draw(canvas, src.digits[second[0]]!, second[1] * SIZE * SIZE, at[1]);
    resizeBilinear(canvas, CANVAS, SIZE, images, i * SIZE * SIZE);
    left[i] = first[0];
    right[i] = second[0];
    i++;
  }
  return { images, left, right, n };
}

/**
 * How much the digits of a draw overlap: the mean, over digits, of the share of a digit's ink
 * (Σ of its pixel values) that lies on pixels where the other digit's value is above 0.5.
 * Measured on the 36×36 canvas, before the resize.
 */
export function inkOverlap(n: number, part: 'train' | 'test', seed: number, options: MultiMnistOptions = {}): number {
  const src = sources(part);
  const a = new Float32Array(CANVAS * CANVAS);
  const b = new Float32Array(CANVAS * CANVAS);
  let total = 0;
  for (const { first, second, at } of pairs(n, part, seed, options, src)) {
    a.fill(0);
    b.fill(0);
    draw(a, src.digits[first[0]]!, first[1] * SIZE * SIZE, at[0]);
    draw(b, src.digits[second[0]]!, second[1] * SIZE * SIZE, at[1]);
    let inkA = 0;
    let inkB = 0;
    let underA = 0;
    let underB = 0;
    for (let p = 0; p < a.length; p++) {
      inkA += a[p]!;
      inkB += b[p]!;
      if (b[p]! > 0.5) underA += a[p]!;
      if (a[p]! > 0.5) underB += b[p]!;
    }
    total += (inkA > 0 ? underA / inkA : 0) / 2 + (inkB > 0 ? underB / inkB : 0) / 2;
  }
  return total / n;
}
