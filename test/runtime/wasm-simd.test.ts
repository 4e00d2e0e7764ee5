/**
 * The SIMD kernels (src/runtime/wasm-kernels/simd) before they replace anything: each on random
 * shapes, strides, paddings and dilations, on the same inputs, against the path it replaces
 * (SIMD switched off) and a float64 reference written here; max-pool with ties, all-negative,
 * −∞ and NaN windows; no leaked tensors; and the fallbacks (switched off, a dtype or layout the
 * kernel does not take).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels, simdUnavailableReason, useWasmSimdKernels } from '../../src/runtime/wasm-kernels/index.js';
import { conv2DForwardSimd } from '../../src/runtime/wasm-kernels/simd-kernels.js';
import { CROSS_STITCH_GRAD_KERNEL, CROSS_STITCH_KERNEL, registerCrossStitchKernels } from '../../src/runtime/cross-stitch.js';
import { relErr } from './rel-err.js';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const int = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const size = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);
function values(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

type Pad = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];

/** Runs a kernel on wasm with SIMD on and off; returns both outputs and the tensors each left. */
function bothPaths(kernel: string, inputs: Record<string, { shape: number[]; values: Float32Array }>, attrs: object) {
  const run = (simd: boolean) => {
    useWasmSimdKernels(simd);
    const ts: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.values, v.shape);
    const before = tf.engine().backend.numDataIds();
    const out = tf.engine().runKernel(kernel, ts as unknown as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;
    const result = { values: out.dataSync() as Float32Array, shape: out.shape };
    out.dispose();
    const leaked = tf.engine().backend.numDataIds() - before;
    tf.dispose(Object.values(ts));
    return { ...result, leaked };
  };
  const simd = run(true);
  const previous = run(false);
  useWasmSimdKernels(true);
  return { simd, previous };
}

function convInfo(x: number[], f: number[], s: [number, number], d: [number, number], pad: Pad, depthwise = false) {
  return tf.backend_util.computeConv2DInfo(x as [number, number, number, number], f as [number, number, number, number], s, d, pad, undefined, depthwise);
}

/** float64 dW[i,j,c,o] = Σ x[b, oy·sh−top+i·dh, ox·sw−left+j·dw, c] · dy[b,oy,ox,o]. */
function refFilterGrad(x: Float32Array, xs: number[], dy: Float32Array, fs: number[], s: [number, number], d: [number, number], pad: Pad): Float64Array {
  const info = convInfo(xs, fs, s, d, pad);
  const [B, H, W, CI] = xs as [number, number, number, number];
  const [KH, KW, , CO] = fs as [number, number, number, number];
  const { outHeight: OH, outWidth: OW } = info;
  const out = new Float64Array(size(fs));
  for (let b = 0; b < B; b++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let i = 0; i < KH; i++)
          for (let j = 0; j < KW; j++) {
            const iy = oy * s[0] - info.padInfo.top + i * d[0];
            const ix = ox * s[1] - info.padInfo.left + j * d[1];
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            for (let c = 0; c < CI; c++) {
              const xv = x[((b * H + iy) * W + ix) * CI + c]!;
              for (let o = 0; o < CO; o++) out[((i * KW + j) * CI + c) * CO + o]! += xv * dy[((b * OH + oy) * OW + ox) * CO + o]!;
            }
          }
  return out;
}

/** float64 forward convolution with bias and an optional relu. */
function refForward(x: Float32Array, xs: number[], w: Float32Array, fs: number[], bias: Float32Array, s: [number, number], d: [number, number], pad: Pad, relu: boolean): Float64Array {
  const info = convInfo(xs, fs, s, d, pad);
  const [B, H, W, CI] = xs as [number, number, number, number];
  const [KH, KW, , CO] = fs as [number, number, number, number];
  const { outHeight: OH, outWidth: OW } = info;
  const out = new Float64Array(B * OH * OW * CO);
  for (let b = 0; b < B; b++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let o = 0; o < CO; o++) {
          let acc = bias[o]!;
          for (let i = 0; i < KH; i++)
            for (let j = 0; j < KW; j++) {
              const iy = oy * s[0] - info.padInfo.top + i * d[0];
              const ix = ox * s[1] - info.padInfo.left + j * d[1];
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              for (let c = 0; c < CI; c++) acc += x[((b * H + iy) * W + ix) * CI + c]! * w[((i * KW + j) * CI + c) * CO + o]!;
            }
          out[((b * OH + oy) * OW + ox) * CO + o] = relu ? Math.max(0, acc) : acc;
        }
  return out;
}

/** float64 dx[b,iy,ix,c] = Σ dy[b,oy,ox,o] · W[i,j,c,o] over the windows reading (iy,ix). */
function refInputGrad(dy: Float32Array, xs: number[], w: Float32Array, fs: number[], s: [number, number], d: [number, number], pad: Pad): Float64Array {
  const info = convInfo(xs, fs, s, d, pad);
  const [B, H, W, CI] = xs as [number, number, number, number];
  const [KH, KW, , CO] = fs as [number, number, number, number];
  const { outHeight: OH, outWidth: OW } = info;
  const out = new Float64Array(size(xs));
  for (let b = 0; b < B; b++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let i = 0; i < KH; i++)
          for (let j = 0; j < KW; j++) {
            const iy = oy * s[0] - info.padInfo.top + i * d[0];
            const ix = ox * s[1] - info.padInfo.left + j * d[1];
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            for (let c = 0; c < CI; c++) {
              let acc = 0;
              for (let o = 0; o < CO; o++) acc += dy[((b * OH + oy) * OW + ox) * CO + o]! * w[((i * KW + j) * CI + c) * CO + o]!;
              out[((b * H + iy) * W + ix) * CI + c]! += acc;
            }
          }
  return out;
}

/** float64 pooling gradients with tfjs's rules (max: first maximum from −∞; avg: dy/(fh·fw)). */
function refPoolGrad(kind: 'max' | 'avg', x: Float32Array, xs: number[], dy: Float32Array, k: [number, number], s: [number, number], pad: 'valid' | 'same'): Float64Array {
  const info = tf.backend_util.computePool2DInfo(xs as [number, number, number, number], k, s, 1, pad);
  const [B, H, W, C] = xs as [number, number, number, number];
  const { outHeight: OH, outWidth: OW } = info;
  const out = new Float64Array(size(xs));
  for (let b = 0; b < B; b++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let c = 0; c < C; c++) {
          const g = dy[((b * OH + oy) * OW + ox) * C + c]!;
          let best = -Infinity;
          let at = -1;
          // Average: the window's in-bounds count, the forward's divisor (src/runtime/avg-pool-grad.ts).
          let count = 0;
          for (let i = 0; i < k[0]; i++)
            for (let j = 0; j < k[1]; j++) {
              const iy = oy * s[0] - info.padInfo.top + i;
              const ix = ox * s[1] - info.padInfo.left + j;
              if (iy >= 0 && iy < H && ix >= 0 && ix < W) count++;
            }
          for (let i = 0; i < k[0]; i++)
            for (let j = 0; j < k[1]; j++) {
              const iy = oy * s[0] - info.padInfo.top + i;
              const ix = ox * s[1] - info.padInfo.left + j;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              const p = ((b * H + iy) * W + ix) * C + c;
              if (kind === 'avg') out[p]! += g / count;
              else if (x[p]! > best) {
                best = x[p]!;
                at = p;
              }
            }
          if (kind === 'max' && at >= 0) out[at]! += g;
        }
  return out;
}

function randomPad(r: () => number): Pad {
  const u = r();
  if (u < 0.35) return 'valid';
  if (u < 0.75) return 'same';
  return [
    [0, 0],
    [int(r, 0, 2), int(r, 0, 2)],
    [int(r, 0, 2), int(r, 0, 2)],
    [0, 0],
  ];
}
const padName = (p: Pad): string => (typeof p === 'string' ? p : `explicit${JSON.stringify(p.slice(1, 3))}`);

beforeAll(async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  await tf.ready();
});
afterEach(() => useWasmSimdKernels(true));

describe('the module', () => {
  it('loads in Node (the committed binary, no compiler needed)', () => {
    expect(simdUnavailableReason()).toBeUndefined();
  });
});

describe('Conv2DBackpropFilter and Conv2DBackpropInput: random shapes, strides, paddings, dilations', () => {
  const r = rng(17);
  const cases = Array.from({ length: 40 }, (_, n) => {
    const kh = int(r, 1, 5);
    const kw = int(r, 1, 5);
    // tfjs refuses a stride and a dilation both > 1; dilations only reach the kernels directly.
    const dil: [number, number] = n % 5 === 4 ? [int(r, 1, 3), int(r, 1, 3)] : [1, 1];
    const s: [number, number] = dil[0] > 1 || dil[1] > 1 ? [1, 1] : [int(r, 1, 3), int(r, 1, 3)];
    const xs = [int(r, 1, 3), int(r, (kh - 1) * dil[0] + 1, 13), int(r, (kw - 1) * dil[1] + 1, 13), int(r, 1, 14)];
    const fs = [kh, kw, xs[3]!, int(r, 1, 27)];
    return { xs, fs, s, dil, pad: randomPad(r), seed: n + 1 };
  });
  // One input channel and 5–12 output channels (an image's first convolution): the forward's
  // position-vectorised path at stride 1 (output widths 1–13, tails of 1–3 positions), the
  // register-tile path at stride 2.
  for (let n = 0; n < 10; n++) {
    const kh = int(r, 1, 5);
    const kw = int(r, 1, 5);
    const dil: [number, number] = n % 4 === 3 ? [int(r, 1, 2), int(r, 1, 2)] : [1, 1];
    const s: [number, number] = n % 5 === 4 && dil[0] === 1 && dil[1] === 1 ? [2, 2] : [1, 1];
    const xs = [int(r, 1, 3), int(r, (kh - 1) * dil[0] + 1, 13), int(r, (kw - 1) * dil[1] + 1, 16), 1];
    cases.push({ xs, fs: [kh, kw, 1, 5 + (n % 8)], s, dil, pad: n % 3 === 0 ? 'same' : 'valid', seed: 60 + n });
  }
  it.each(cases.map((c) => [`x${JSON.stringify(c.xs)} f${JSON.stringify(c.fs)} s${c.s} d${c.dil} ${padName(c.pad)}`, c] as const))('%s', (_n, c) => {
    const info = convInfo(c.xs, c.fs, c.s, c.dil, c.pad);
    const ys = info.outShape as number[];
    const x = values(size(c.xs), c.seed);
    const w = values(size(c.fs), c.seed + 100);
    const dy = values(size(ys), c.seed + 200);
    const attrs = { strides: c.s, pad: c.pad, dataFormat: 'NHWC', dilations: c.dil };
    const dW = bothPaths('Conv2DBackpropFilter', { x: { shape: c.xs, values: x }, dy: { shape: ys, values: dy } }, { ...attrs, filterShape: c.fs });
    const dWref = refFilterGrad(x, c.xs, dy, c.fs, c.s, c.dil, c.pad);
    expect(dW.simd.shape).toEqual(c.fs);
    expect(relErr(dW.simd.values, dWref), 'dW vs float64').toBeLessThan(2e-6);
    expect(dW.simd.leaked).toBe(0);
    const dX = bothPaths('Conv2DBackpropInput', { dy: { shape: ys, values: dy }, filter: { shape: c.fs, values: w } }, { ...attrs, inputShape: c.xs });
    const dXref = refInputGrad(dy, c.xs, w, c.fs, c.s, c.dil, c.pad);
    expect(dX.simd.shape).toEqual(c.xs);
    expect(relErr(dX.simd.values, dXref), 'dx vs float64').toBeLessThan(2e-6);
    expect(dX.simd.leaked).toBe(0);
    // The forward kernel, called directly (the registered FusedConv2D uses it for some shapes only).
    const bias = values(c.fs[3]!, c.seed + 300);
    const relu = c.seed % 2 === 0;
    const fwd = tf.tidy(() => {
      const [xt, wt, bt] = [tf.tensor(x, c.xs), tf.tensor(w, c.fs), tf.tensor(bias, [c.fs[3]!])];
      const backend = tf.engine().backend;
      const info = conv2DForwardSimd({ inputs: { x: xt, filter: wt, bias: bt }, backend, attrs: { ...attrs, activation: relu ? 'relu' : 'linear' } as unknown as tf.NamedAttrMap })!;
      return tf.engine().makeTensorFromTensorInfo(info);
    });
    expect(fwd.shape).toEqual(ys);
    expect(relErr(fwd.dataSync(), refForward(x, c.xs, w, c.fs, bias, c.s, c.dil, c.pad, relu)), 'forward vs float64').toBeLessThan(2e-6);
    const viaTfjs = tf.tidy(() => tf.fused.conv2d({ x: tf.tensor4d(x, c.xs as [number, number, number, number]), filter: tf.tensor4d(w, c.fs as [number, number, number, number]), strides: c.s, pad: c.pad, dilations: c.dil, bias: tf.tensor1d(bias), activation: relu ? 'relu' : 'linear' }));
    expect(relErr(fwd.dataSync(), viaTfjs.dataSync()), 'forward vs tfjs').toBeLessThan(1e-5);
    tf.dispose([fwd, viaTfjs]);
    if (c.dil[0] === 1 && c.dil[1] === 1) {
      // The previous paths ignore dilations (tfjs never sends them to these kernels).
      expect(relErr(dW.simd.values, dW.previous.values), 'dW vs previous path').toBeLessThan(1e-5);
      expect(relErr(dX.simd.values, dX.previous.values), 'dx vs previous path').toBeLessThan(1e-5);
    }
  });

  it('LeNet shapes (batch 64) agree with float64 to 1e-6', () => {
    for (const [xs, fs] of [
      [[64, 28, 28, 1], [5, 5, 1, 10]],
      [[64, 12, 12, 10], [5, 5, 10, 20]],
    ] as const) {
      const ys = convInfo([...xs], [...fs], [1, 1], [1, 1], 'valid').outShape as number[];
      const x = values(size(xs), 1);
      const dy = values(size(ys), 2);
      const got = bothPaths('Conv2DBackpropFilter', { x: { shape: [...xs], values: x }, dy: { shape: ys, values: dy } }, { strides: 1, pad: 'valid', filterShape: fs });
      expect(relErr(got.simd.values, refFilterGrad(x, [...xs], dy, [...fs], [1, 1], [1, 1], 'valid'))).toBeLessThan(1e-6);
    }
  });
});

describe('DepthwiseConv2dNativeBackpropFilter (multiplier 1; others fall back)', () => {
  const r = rng(61);
  const cases = Array.from({ length: 24 }, (_, n) => {
    const kh = int(r, 1, 4);
    const kw = int(r, 1, 4);
    const dil: [number, number] = n % 4 === 3 ? [int(r, 1, 3), int(r, 1, 3)] : [1, 1];
    const s: [number, number] = dil[0] > 1 || dil[1] > 1 ? [1, 1] : [int(r, 1, 3), int(r, 1, 3)];
    const xs = [int(r, 1, 3), int(r, (kh - 1) * dil[0] + 1, 12), int(r, (kw - 1) * dil[1] + 1, 12), int(r, 1, 21)];
    const mult = n % 6 === 5 ? 2 : 1;
    return { xs, fs: [kh, kw, xs[3]!, mult], s, dil, pad: randomPad(r), seed: n + 300 };
  });
  it.each(cases.map((c) => [`x${JSON.stringify(c.xs)} f${JSON.stringify(c.fs)} s${c.s} d${c.dil} ${padName(c.pad)}`, c] as const))('%s', (_n, c) => {
    const info = convInfo(c.xs, c.fs, c.s, c.dil, c.pad, true);
    const ys = info.outShape as number[];
    const x = values(size(c.xs), c.seed);
    const dy = values(size(ys), c.seed + 1);
    const got = bothPaths('DepthwiseConv2dNativeBackpropFilter', { x: { shape: c.xs, values: x }, dy: { shape: ys, values: dy } }, { strides: c.s, dilations: c.dil, pad: c.pad, filterShape: c.fs });
    const [B, H, W, C] = c.xs as [number, number, number, number];
    const [KH, KW, , M] = c.fs as [number, number, number, number];
    const ref = new Float64Array(size(c.fs));
    for (let b = 0; b < B; b++)
      for (let oy = 0; oy < info.outHeight; oy++)
        for (let ox = 0; ox < info.outWidth; ox++)
          for (let i = 0; i < KH; i++)
            for (let j = 0; j < KW; j++) {
              const iy = oy * c.s[0] - info.padInfo.top + i * c.dil[0];
              const ix = ox * c.s[1] - info.padInfo.left + j * c.dil[1];
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              for (let ch = 0; ch < C; ch++)
                for (let m = 0; m < M; m++)
                  ref[((i * KW + j) * C + ch) * M + m]! += x[((b * H + iy) * W + ix) * C + ch]! * dy[((b * info.outHeight + oy) * info.outWidth + ox) * C * M + ch * M + m]!;
            }
    expect(relErr(got.simd.values, ref), 'vs float64').toBeLessThan(2e-6);
    expect(relErr(got.simd.values, got.previous.values), 'vs previous').toBeLessThan(1e-5);
    expect(got.simd.leaked).toBe(0);
  });
});

describe('MaxPoolGrad and AvgPoolGrad', () => {
  const r = rng(29);
  const cases = Array.from({ length: 30 }, (_, n) => {
    const k: [number, number] = [int(r, 1, 4), int(r, 1, 4)];
    const s: [number, number] = [int(r, 1, 4), int(r, 1, 4)];
    const xs = [int(r, 1, 3), int(r, k[0], 11), int(r, k[1], 11), int(r, 1, 13)];
    const pad: 'valid' | 'same' = r() < 0.5 ? 'valid' : 'same';
    // Ties: values from a few levels (every third case), all negative, −∞ and NaN windows.
    const mode = (['plain', 'ties', 'negative', 'special'] as const)[n % 4]!;
    return { xs, k, s, pad, mode, seed: n + 7 };
  });
  // The 2×2 stride-2 fast path: odd and even sizes, channel counts around the vector width.
  for (const [h, w, ch] of [[7, 6, 1], [6, 7, 3], [8, 8, 4], [5, 5, 5], [24, 24, 10], [9, 4, 20]] as const) {
    for (const mode of ['plain', 'ties', 'negative', 'special'] as const) {
      cases.push({ xs: [2, h, w, ch], k: [2, 2], s: [2, 2], pad: (h + w) % 2 ? 'same' : 'valid', mode, seed: h * 100 + w * 10 + ch });
    }
  }
  function inputFor(c: (typeof cases)[number]): Float32Array {
    const x = values(size(c.xs), c.seed);
    const rr = rng(c.seed + 1);
    for (let i = 0; i < x.length; i++) {
      if (c.mode === 'ties') x[i] = Math.floor(rr() * 3);
      else if (c.mode === 'negative') x[i] = -1 - Math.abs(x[i]!);
      else if (c.mode === 'special') {
        const u = rr();
        x[i] = u < 0.2 ? -Infinity : u < 0.3 ? NaN : u < 0.6 ? 0.5 : x[i]!;
      }
    }
    return x;
  }
  it.each(cases.map((c) => [`${c.mode} x${JSON.stringify(c.xs)} k${c.k} s${c.s} ${c.pad}`, c] as const))('%s', (_n, c) => {
    const info = tf.backend_util.computePool2DInfo(c.xs as [number, number, number, number], c.k, c.s, 1, c.pad);
    const ys = info.outShape as number[];
    const x = inputFor(c);
    const dy = values(size(ys), c.seed + 2);
    const attrs = { filterSize: c.k, strides: c.s, pad: c.pad };
    const out = tf.tidy(() => tf.maxPool(tf.tensor4d(x, c.xs as [number, number, number, number]), c.k, c.s, c.pad).dataSync() as Float32Array);
    const max = bothPaths('MaxPoolGrad', { dy: { shape: ys, values: dy }, input: { shape: c.xs, values: x }, output: { shape: ys, values: out } }, attrs);
    expect(relErr(max.simd.values, refPoolGrad('max', x, c.xs, dy, c.k, c.s, c.pad)), 'max vs float64').toBeLessThan(1e-6);
    expect(Array.from(max.simd.values)).toEqual(Array.from(max.previous.values));
    expect(max.simd.leaked).toBe(0);
    const avg = bothPaths('AvgPoolGrad', { dy: { shape: ys, values: dy }, input: { shape: c.xs, values: x } }, attrs);
    expect(relErr(avg.simd.values, refPoolGrad('avg', x, c.xs, dy, c.k, c.s, c.pad)), 'avg vs float64').toBeLessThan(1e-6);
    expect(relErr(avg.simd.values, avg.previous.values), 'avg vs previous').toBeLessThan(1e-6);
    expect(avg.simd.leaked).toBe(0);
  });
});

describe('Sum over leading axes (bias gradients)', () => {
  const r = rng(41);
  const cases = Array.from({ length: 24 }, (_, n) => {
    const rank = int(r, 2, 4);
    const shape = Array.from({ length: rank }, (_, i) => int(r, 1, n % 6 === 0 && i === 0 ? 700 : 19));
    const k = int(r, 1, rank - 1);
    const axis = n % 3 === 0 ? Array.from({ length: k }, (_, i) => i - rank) : Array.from({ length: k }, (_, i) => k - 1 - i);
    return { shape, axis, keepDims: n % 2 === 0, seed: n + 3 };
  });
  it.each(cases.map((c) => [`${JSON.stringify(c.shape)} axis ${JSON.stringify(c.axis)} keepDims ${c.keepDims}`, c] as const))('%s', (_n, c) => {
    const x = values(size(c.shape), c.seed);
    const got = bothPaths('Sum', { x: { shape: c.shape, values: x } }, { axis: c.axis, keepDims: c.keepDims });
    const k = c.axis.length;
    const cols = size(c.shape.slice(k));
    const ref = new Float64Array(cols);
    for (let i = 0; i < x.length; i++) ref[i % cols]! += x[i]!;
    expect(got.simd.shape).toEqual(got.previous.shape);
    expect(relErr(got.simd.values, ref), 'vs float64').toBeLessThan(2e-6);
    expect(relErr(got.simd.values, got.previous.values), 'vs previous').toBeLessThan(1e-5);
    expect(got.simd.leaked).toBe(0);
  });
  it('other reductions (trailing axes, all axes, int32) go to tfjs kernel unchanged', () => {
    const x = tf.tensor(values(24, 1), [2, 3, 4]);
    expect(relErr(tf.sum(x, [2]).dataSync(), [...(tf.tidy(() => { useWasmSimdKernels(false); return tf.sum(x, [2]).dataSync(); }))])).toBe(0);
    useWasmSimdKernels(true);
    expect(tf.sum(tf.tensor([1, 2, 3], [3], 'int32')).dataSync()[0]).toBe(6);
    expect(tf.sum(tf.tensor([[1, 2], [3, 4]], [2, 2], 'int32'), 0).arraySync()).toEqual([4, 6]);
    x.dispose();
  });
});

describe('BatchMatMul (dense layers and their gradients)', () => {
  const r = rng(53);
  const cases = Array.from({ length: 24 }, (_, n) => ({
    batch: n % 4 === 0 ? int(r, 2, 3) : 1,
    m: int(r, 1, n % 5 === 0 ? 70 : 13),
    k: int(r, 1, n % 3 === 0 ? 330 : 17),
    n: int(r, 1, n % 7 === 0 ? 52 : 21),
    transposeA: n % 2 === 1,
    transposeB: (n >> 1) % 2 === 1,
    seed: 100 + n,
  }));
  it.each(cases.map((c) => [`batch ${c.batch} [${c.m}x${c.k}]·[${c.k}x${c.n}] tA ${c.transposeA} tB ${c.transposeB}`, c] as const))('%s', (_n, c) => {
    const aShape = [c.batch, ...(c.transposeA ? [c.k, c.m] : [c.m, c.k])];
    const bShape = [c.batch, ...(c.transposeB ? [c.n, c.k] : [c.k, c.n])];
    const a = values(size(aShape), c.seed);
    const b = values(size(bShape), c.seed + 1);
    const got = bothPaths('BatchMatMul', { a: { shape: aShape, values: a }, b: { shape: bShape, values: b } }, { transposeA: c.transposeA, transposeB: c.transposeB });
    const ref = new Float64Array(c.batch * c.m * c.n);
    const A = (i: number, row: number, col: number) => a[i * c.m * c.k + (c.transposeA ? col * c.m + row : row * c.k + col)]!;
    const B = (i: number, row: number, col: number) => b[i * c.k * c.n + (c.transposeB ? col * c.k + row : row * c.n + col)]!;
    for (let i = 0; i < c.batch; i++)
      for (let row = 0; row < c.m; row++)
        for (let col = 0; col < c.n; col++) {
          let sum = 0;
          for (let t = 0; t < c.k; t++) sum += A(i, row, t) * B(i, t, col);
          ref[(i * c.m + row) * c.n + col] = sum;
        }
    expect(got.simd.shape).toEqual([c.batch, c.m, c.n]);
    expect(got.simd.shape).toEqual(got.previous.shape);
    expect(relErr(got.simd.values, ref), 'vs float64').toBeLessThan(2e-6);
    expect(relErr(got.simd.values, got.previous.values), 'vs previous').toBeLessThan(1e-5);
    expect(got.simd.leaked).toBe(0);
  });
  it('a broadcast batch goes to the previous path, with the same result as cpu', async () => {
    const a = tf.tensor(values(2 * 3 * 4, 1), [2, 3, 4]);
    const b = tf.tensor(values(4 * 5, 2), [1, 4, 5]);
    const wasm = tf.matMul(a, b).dataSync() as Float32Array;
    await tf.setBackend('cpu');
    const cpu = tf.matMul(tf.tensor(values(24, 1), [2, 3, 4]), tf.tensor(values(20, 2), [1, 4, 5])).dataSync() as Float32Array;
    await tf.setBackend('wasm');
    expect(relErr(wasm, cpu)).toBeLessThan(1e-6);
    tf.dispose([a, b]);
  });
});

describe('cross-stitch forward and backward (channel and scalar modes, N towers)', () => {
  const r = rng(53);
  const cases = Array.from({ length: 16 }, (_, t) => {
    const rank = int(r, 1, 4);
    const shape = Array.from({ length: rank }, () => int(r, 1, 9));
    return { n: t % 4 === 3 ? 3 : 2, shape, mode: t % 2 === 0 ? 'channel' : 'scalar', seed: t + 1 };
  });
  cases.push({ n: 2, shape: [64, 12, 12, 10], mode: 'channel', seed: 99 }, { n: 2, shape: [64, 50], mode: 'channel', seed: 98 });
  it.each(cases.map((c) => [`N=${c.n} ${JSON.stringify(c.shape)} ${c.mode}`, c] as const))('%s', (_n, c) => {
    registerCrossStitchKernels();
    const C = c.shape[c.shape.length - 1]!;
    const sz = size(c.shape);
    const xs = Array.from({ length: c.n }, (_, i) => values(sz, c.seed * 10 + i));
    const dys = Array.from({ length: c.n }, (_, i) => values(sz, c.seed * 10 + 5 + i));
    const alphaShape = c.mode === 'channel' ? [c.n, c.n, C] : [c.n, c.n];
    const alpha = values(size(alphaShape), c.seed * 10 + 9);
    const A = (i: number, j: number, k: number): number => (c.mode === 'channel' ? alpha[(i * c.n + j) * C + k]! : alpha[i * c.n + j]!);
    const run = (simd: boolean) => {
      useWasmSimdKernels(simd);
      const before = tf.engine().backend.numDataIds();
      const out = tf.tidy(() => {
        const xt = xs.map((x) => tf.tensor(x, c.shape));
        const at = tf.tensor(alpha, alphaShape);
        const ys = tf.engine().runKernel(CROSS_STITCH_KERNEL, [...xt, at] as unknown as tf.NamedTensorMap, { mode: c.mode }) as unknown as tf.Tensor[];
        const gs = tf.engine().runKernel(CROSS_STITCH_GRAD_KERNEL, [...dys.map((d) => tf.tensor(d, c.shape)), ...xt, at] as unknown as tf.NamedTensorMap, { mode: c.mode }) as unknown as tf.Tensor[];
        return [...ys, ...gs].map((t) => t.dataSync() as Float32Array);
      });
      expect(tf.engine().backend.numDataIds() - before).toBe(0);
      return out;
    };
    const simd = run(true);
    const previous = run(false);
    const rows = sz / C;
    for (let i = 0; i < c.n; i++) {
      const y = new Float64Array(sz);
      const dx = new Float64Array(sz);
      for (let e = 0; e < sz; e++)
        for (let j = 0; j < c.n; j++) {
          y[e]! += A(i, j, e % C) * xs[j]![e]!;
          dx[e]! += A(j, i, e % C) * dys[j]![e]!;
        }
      expect(relErr(simd[i]!, y), `y${i}`).toBeLessThan(1e-6);
      expect(relErr(simd[c.n + i]!, dx), `dx${i}`).toBeLessThan(1e-6);
    }
    const da = new Float64Array(size(alphaShape));
    for (let i = 0; i < c.n; i++)
      for (let j = 0; j < c.n; j++)
        for (let row = 0; row < rows; row++)
          for (let k = 0; k < C; k++) da[c.mode === 'channel' ? (i * c.n + j) * C + k : i * c.n + j]! += dys[i]![row * C + k]! * xs[j]![row * C + k]!;
    expect(relErr(simd[2 * c.n]!, da), 'dα vs float64').toBeLessThan(2e-6);
    for (let k = 0; k < simd.length; k++) expect(relErr(simd[k]!, previous[k]!), `output ${k} vs previous`).toBeLessThan(2e-6);
  });
});

describe('Identity without a copy', () => {
  it('shares the buffer, counts references, and frees it after the last dispose', () => {
    const x = tf.tensor(values(10, 1), [2, 5]);
    const before = tf.engine().backend.numDataIds();
    const y = tf.clone(x);
    expect(tf.engine().backend.numDataIds()).toBe(before); // no new buffer
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual(Array.from(values(10, 1)));
    y.dispose();
    expect(tf.engine().backend.numDataIds()).toBe(before - 1);
  });
  it('copies when the SIMD kernels are off, and for strings', () => {
    useWasmSimdKernels(false);
    const x = tf.tensor([1, 2, 3]);
    const before = tf.engine().backend.numDataIds();
    const y = tf.clone(x);
    expect(tf.engine().backend.numDataIds()).toBe(before + 1);
    tf.dispose([x, y]);
    const s = tf.tensor(['a', 'b']);
    expect(tf.clone(s).arraySync()).toEqual(['a', 'b']);
  });
});

describe('training through the SIMD kernels', () => {
  it('a small conv net: the same gradients with SIMD on and off, and on cpu', async () => {
    const grads: Float32Array[][] = [];
    for (const [backend, simd] of [['cpu', true], ['wasm', false], ['wasm', true]] as const) {
      await tf.setBackend(backend);
      useWasmSimdKernels(simd);
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', inputShape: [11, 11, 3] }),
          tf.layers.maxPooling2d({ poolSize: 2, strides: 1 }),
          tf.layers.averagePooling2d({ poolSize: 2 }),
          tf.layers.conv2d({ filters: 5, kernelSize: 2 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 3 }),
        ],
      });
      model.setWeights(model.getWeights().map((w, i) => tf.tensor(values(w.size, 50 + i), w.shape)));
      const x = tf.tensor(values(4 * 11 * 11 * 3, 9), [4, 11, 11, 3]);
      const { grads: g, value } = tf.variableGrads(() => tf.sum(tf.square(model.apply(x) as tf.Tensor)) as tf.Scalar);
      grads.push(model.trainableWeights.map((w) => g[w.originalName]!.dataSync() as Float32Array));
      tf.dispose([x, value, ...Object.values(g)]);
      model.dispose();
    }
    await tf.setBackend('wasm');
    for (let i = 0; i < grads[0]!.length; i++) {
      expect(relErr(grads[2]![i]!, grads[0]![i]!), `weight ${i} vs cpu`).toBeLessThan(1e-5);
      expect(relErr(grads[2]![i]!, grads[1]![i]!), `weight ${i} vs SIMD off`).toBeLessThan(1e-5);
    }
  });
});
