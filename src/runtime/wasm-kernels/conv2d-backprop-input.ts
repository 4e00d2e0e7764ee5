/**
 * A faster Conv2DBackpropInput for wasm: the SIMD kernel (simd-kernels.ts) where it loads, else
 * the composition below. tfjs-backend-wasm 4.22's kernel is a plain C++ loop
 * (PERF-LEADS: ~45 % of a LeNet-pair step). The input gradient is itself a convolution:
 *
 *   dx = conv2d_valid(pad(dilate(dy, stride), kh−1−top, kw−1−left, ...), flip(W) with ci↔co)
 *
 * run by the wasm backend's forward Conv2D (XNNPACK); with one input channel, a depthwise
 * convolution plus a sum over channels instead. With stride 1 and non-negative padding the
 * padding is passed to the convolution; otherwise dy is scattered into a zeroed canvas (one
 * JavaScript pass). The flipped filter is built in one JavaScript pass (filters are small).
 */
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropInputSimd } from './simd-kernels.js';
import { asWasm, disposeAll, f32, isChannelsLast, wasmKernel, type KernelArgs, type Pad, type Pair, type Rounding, type WasmKernelFunc } from './util.js';

export interface Conv2DBackpropInputAttrs {
  strides: Pair;
  pad: Pad;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: Rounding;
  inputShape: [number, number, number, number];
}

/** W [kh,kw,ci,co] → W' [kh,kw,co,ci] with W'[kh−1−i, kw−1−j, o, c] = W[i, j, c, o]. */
export function flipSwapFilter(backend: tf.KernelBackend, filter: tf.TensorInfo): tf.TensorInfo {
  const wb = asWasm(backend);
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  const out = wb.makeOutput([kh, kw, co, ci], 'float32');
  const src = f32(wb, filter);
  const dst = f32(wb, out);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const s0 = (i * kw + j) * ci * co;
      const d0 = ((kh - 1 - i) * kw + (kw - 1 - j)) * co * ci;
      for (let c = 0; c < ci; c++) {
        const s1 = s0 + c * co;
        for (let o = 0; o < co; o++) dst[d0 + o * ci + c] = src[s1 + o]!;
      }
    }
  }
  return out;
}

/**
 * dy placed for a stride-1 "valid" correlation that yields the input gradient: either dy itself
 * with the padding to pass to the convolution (stride 1, non-negative padding), or a zeroed
 * canvas [B, H+kh'−1, W+kw'−1, C] holding dy at stride-dilated positions (kh' the effective,
 * dilated filter height). `info` is the forward pass's conv info.
 */
export function gradientCanvas(
  backend: tf.KernelBackend,
  dy: tf.TensorInfo,
  inputShape: readonly number[],
  info: tf.backend_util.Conv2DInfo,
): { src: tf.TensorInfo; pad: number[][]; canvas?: tf.TensorInfo } {
  const wb = asWasm(backend);
  const [b, h, w] = inputShape as [number, number, number, number];
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const kh = info.effectiveFilterHeight;
  const kw = info.effectiveFilterWidth;
  const co = dy.shape[3]!;
  const padTop = kh - 1 - info.padInfo.top;
  const padLeft = kw - 1 - info.padInfo.left;
  const canvasH = h + kh - 1;
  const canvasW = w + kw - 1;
  const padBottom = canvasH - padTop - ((oh - 1) * sh + 1);
  const padRight = canvasW - padLeft - ((ow - 1) * sw + 1);
  if (sh === 1 && sw === 1 && padTop >= 0 && padLeft >= 0 && padBottom >= 0 && padRight >= 0) {
    return { src: dy, pad: [[0, 0], [padTop, padBottom], [padLeft, padRight], [0, 0]] };
  }
  const canvas = wb.makeOutput([b, canvasH, canvasW, co], 'float32');
  const c = f32(wb, canvas);
  const d = f32(wb, dy);
  c.fill(0);
  for (let n = 0; n < b; n++) {
    for (let y = 0; y < oh; y++) {
      const r = padTop + y * sh;
      if (r < 0 || r >= canvasH) continue;
      for (let x = 0; x < ow; x++) {
        const q = padLeft + x * sw;
        if (q < 0 || q >= canvasW) continue;
        const from = ((n * oh + y) * ow + x) * co;
        c.set(d.subarray(from, from + co), ((n * canvasH + r) * canvasW + q) * co);
      }
    }
  }
  return { src: canvas, pad: [[0, 0], [0, 0], [0, 0], [0, 0]], canvas };
}

/** Builds the kernel; `original` (the wasm backend's own) serves layouts this one does not. */
export function makeConv2DBackpropInput(original: WasmKernelFunc | undefined): WasmKernelFunc {
  return (args: KernelArgs): tf.TensorInfo => {
    const { inputs, backend, attrs } = args;
    const a = attrs as unknown as Conv2DBackpropInputAttrs;
    if (!isChannelsLast(a.dataFormat)) {
      if (original) return original(args);
      throw new Error(`Conv2DBackpropInput on wasm supports NHWC only, got ${a.dataFormat}`);
    }
    const simd = conv2DBackpropInputSimd(args);
    if (simd) return simd;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const info = tf.backend_util.computeConv2DInfo(
      a.inputShape,
      filter.shape as [number, number, number, number],
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
    );
    const made: tf.TensorInfo[] = [];
    const wt = flipSwapFilter(backend, filter);
    made.push(wt);
    const { src, pad, canvas } = gradientCanvas(backend, dy, a.inputShape, info);
    if (canvas) made.push(canvas);
    const convAttrs = { strides: [1, 1], pad: pad as unknown as tf.NamedAttrMap[string], dataFormat: 'NHWC', dilations: [1, 1] };
    if (info.inChannels === 1) {
      // One input channel (a grayscale image): XNNPACK's convolution with a single output
      // channel is slow (7.6 ms at LeNet's conv1); a depthwise convolution over the co channels
      // of dy with the flipped filter ([kh,kw,co,1]) and a sum over them is 2x faster.
      const per = wasmKernel('DepthwiseConv2dNative')({ inputs: { x: src, filter: wt }, backend, attrs: convAttrs });
      made.push(per);
      const out = wasmKernel('Sum')({ inputs: { x: per }, backend, attrs: { axis: [3], keepDims: true } });
      disposeAll(backend, made);
      return out;
    }
    const out = wasmKernel('Conv2D')({ inputs: { x: src, filter: wt }, backend, attrs: convAttrs });
    disposeAll(backend, made);
    return out;
  };
}
