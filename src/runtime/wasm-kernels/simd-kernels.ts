/**
 * The SIMD kernels (simd/kernels.cc) as tfjs kernel bodies. Each returns the output, or undefined
 * when the SIMD module is unavailable or the call does not fit (another layout or dtype, an input
 * too close to the end of memory): the caller then takes its previous path. Outputs are
 * allocated first and every pointer read after, so heap growth cannot move a buffer under a call.
 * Scratch buffers are tfjs tensors, 4 floats longer than needed (the kernels' vector over-read).
 */
import * as tf from '@tensorflow/tfjs';
import { ptr, readable, simdFor } from './simd.js';
import { asWasm, isChannelsLast, type KernelArgs, type Pad, type Pair, type Rounding, type WasmBackendLike } from './util.js';

function scratch(wb: WasmBackendLike, n: number): tf.TensorInfo {
  return wb.makeOutput([n + 4], 'float32');
}

interface ConvGradAttrs {
  strides: Pair;
  pad: Pad;
  dataFormat?: string;
  dimRoundingMode?: Rounding;
  dilations?: Pair;
}

/** dW of a convolution: the forward input x zero-padded once, then one pass per register tile. */
export function conv2DBackpropFilterSimd({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo | undefined {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as ConvGradAttrs & { filterShape: [number, number, number, number] };
  const wb = asWasm(backend);
  const simd = simdFor(wb);
  if (!simd || !isChannelsLast(a.dataFormat) || !readable(wb, x, dy)) return undefined;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode);
  const [b, h, w, ci] = x.shape as [number, number, number, number];
  const { top, bottom, left, right } = info.padInfo;
  const out = wb.makeOutput(a.filterShape, 'float32');
  let hp = h;
  let wp = w;
  let padded: tf.TensorInfo | undefined;
  if (top || bottom || left || right) {
    hp = h + top + bottom;
    wp = w + left + right;
    padded = scratch(wb, b * hp * wp * ci);
    simd.pad_nhwc(ptr(wb, x), b, h, w, ci, ptr(wb, padded), hp, wp, top, left);
  }
  const [kh, kw, , co] = a.filterShape;
  simd.conv2d_backprop_filter(
    ptr(wb, padded ?? x), b, hp, wp, ci, ptr(wb, dy), info.outHeight, info.outWidth, co,
    kh, kw, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, ptr(wb, out),
  );
  if (padded) wb.disposeData(padded.dataId);
  return out;
}

/** dx of a convolution: each output gradient scattered through the filter (no zero canvas). */
export function conv2DBackpropInputSimd({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo | undefined {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const a = attrs as unknown as ConvGradAttrs & { inputShape: [number, number, number, number] };
  const wb = asWasm(backend);
  const simd = simdFor(wb);
  if (!simd || !isChannelsLast(a.dataFormat) || !readable(wb, dy, filter)) return undefined;
  const filterShape = filter.shape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(a.inputShape, filterShape, a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode);
  const [b, h, w, ci] = a.inputShape;
  const [kh, kw, , co] = filterShape;
  const { top, bottom, left, right } = info.padInfo;
  const out = wb.makeOutput(a.inputShape, 'float32');
  const wt = scratch(wb, kh * kw * ci * co);
  const unpadded = !(top || bottom || left || right);
  const hp = h + top + bottom;
  const wp = w + left + right;
  const dxp = unpadded ? out : scratch(wb, b * hp * wp * ci);
  simd.swap_filter_channels(ptr(wb, filter), kh, kw, ci, co, ptr(wb, wt));
  simd.zero_f32(ptr(wb, dxp), b * hp * wp * ci);
  simd.conv2d_backprop_input(
    ptr(wb, dy), b, info.outHeight, info.outWidth, co, ptr(wb, wt), kh, kw,
    info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, ptr(wb, dxp), hp, wp, ci,
  );
  if (!unpadded) {
    simd.crop_nhwc(ptr(wb, dxp), b, hp, wp, ci, top, left, ptr(wb, out), h, w);
    wb.disposeData(dxp.dataId);
  }
  wb.disposeData(wt.dataId);
  return out;
}

/** dW of a depthwise convolution with channel multiplier 1 (others return undefined). */
export function depthwiseBackpropFilterSimd({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo | undefined {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as ConvGradAttrs & { filterShape: [number, number, number, number] };
  const [kh, kw, ch, mult] = a.filterShape;
  if (mult !== 1) return undefined;
  const wb = asWasm(backend);
  const simd = simdFor(wb);
  if (!simd || !isChannelsLast(a.dataFormat) || !readable(wb, x, dy)) return undefined;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, true);
  const [b, h, w] = x.shape as [number, number, number, number];
  const { top, bottom, left, right } = info.padInfo;
  const out = wb.makeOutput(a.filterShape, 'float32');
  let hp = h;
  let wp = w;
  let padded: tf.TensorInfo | undefined;
  if (top || bottom || left || right) {
    hp = h + top + bottom;
    wp = w + left + right;
    padded = scratch(wb, b * hp * wp * ch);
    simd.pad_nhwc(ptr(wb, x), b, h, w, ch, ptr(wb, padded), hp, wp, top, left);
  }
  simd.depthwise_backprop_filter(
    ptr(wb, padded ?? x), b, hp, wp, ch, ptr(wb, dy), info.outHeight, info.outWidth, kh, kw,
    info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, ptr(wb, out),
  );
  if (padded) wb.disposeData(padded.dataId);
  return out;
}

interface PoolGradAttrs {
  filterSize: Pair;
  strides: Pair;
  pad: Pad;
  dimRoundingMode?: Rounding;
}

function poolInfo(shape: readonly number[], a: PoolGradAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad as 'valid' | 'same' | number, a.dimRoundingMode);
}

/** MaxPoolGrad: first maximum of each window (row-major, strict > from −∞) gets dy. */
export function maxPoolGradSimd({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo | undefined {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const wb = asWasm(backend);
  const simd = simdFor(wb);
  if (!simd || !readable(wb, input, dy)) return undefined;
  const i = poolInfo(input.shape, attrs as unknown as PoolGradAttrs);
  const out = wb.makeOutput(input.shape, 'float32');
  simd.max_pool_grad(
    ptr(wb, input), ptr(wb, dy), ptr(wb, out), i.batchSize, i.inHeight, i.inWidth, i.inChannels, i.outHeight, i.outWidth,
    i.filterHeight, i.filterWidth, i.strideHeight, i.strideWidth, i.dilationHeight, i.dilationWidth, i.padInfo.top, i.padInfo.left,
  );
  return out;
}

/** AvgPoolGrad: dy / (the window's in-bounds count) to each in-bounds window element (the forward's divisor; ../avg-pool-grad.ts). */
export function avgPoolGradSimd({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo | undefined {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const wb = asWasm(backend);
  const simd = simdFor(wb);
  if (!simd || !readable(wb, dy) || input.dtype !== 'float32') return undefined;
  const i = poolInfo(input.shape, attrs as unknown as PoolGradAttrs);
  const out = wb.makeOutput(input.shape, 'float32');
  simd.avg_pool_grad(
    ptr(wb, dy), ptr(wb, out), i.batchSize, i.inHeight, i.inWidth, i.inChannels, i.outHeight, i.outWidth,
    i.filterHeight, i.filterWidth, i.strideHeight, i.strideWidth, i.dilationHeight, i.dilationWidth, i.padInfo.top, i.padInfo.left,
    0, 1,
  );
  return out;
}

/** Sum over leading axes (a bias gradient: [N, C] → [C]); other reductions return undefined. */
export function sumLeadingSimd({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo | undefined {
  const { x } = inputs as { x: tf.TensorInfo };
  const a = attrs as { axis?: number | number[]; keepDims?: boolean };
  const rank = x.shape.length;
  if (x.dtype !== 'float32' || rank < 2 || a.axis === undefined) return undefined;
  const axes = tf.util.parseAxisParam(a.axis, x.shape).sort((p, q) => p - q);
  const k = axes.length;
  if (k === 0 || k >= rank || axes.some((ax, idx) => ax !== idx)) return undefined;
  const wb = asWasm(backend);
  const simd = simdFor(wb);
  if (!simd || !readable(wb, x)) return undefined;
  const n = x.shape.slice(0, k).reduce((p, d) => p * d, 1);
  const rest = x.shape.slice(k);
  const c = rest.reduce((p, d) => p * d, 1);
  if (n === 0 || c === 0) return undefined;
  const out = wb.makeOutput(a.keepDims ? [...axes.map(() => 1), ...rest] : rest, 'float32');
  simd.sum_leading(ptr(wb, x), n, c, ptr(wb, out));
  return out;
}

/**
 * A forward convolution (Conv2D, or FusedConv2D with an optional bias and a linear or relu
 * activation); other activations, NCHW and PReLU weights return undefined.
 */
export function conv2DForwardSimd({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo | undefined {
  const { x, filter, bias, preluActivationWeights } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
  const a = attrs as unknown as ConvGradAttrs & { activation?: string };
  const activation = a.activation ?? 'linear';
  if (preluActivationWeights || (activation !== 'linear' && activation !== 'relu')) return undefined;
  const wb = asWasm(backend);
  const simd = simdFor(wb);
  const filterShape = filter.shape as [number, number, number, number];
  if (!simd || !isChannelsLast(a.dataFormat) || !readable(wb, x, filter, ...(bias ? [bias] : []))) return undefined;
  const [kh, kw, ci, co] = filterShape;
  if (bias && bias.shape.reduce((p, d) => p * d, 1) !== co) return undefined; // a broadcast bias of another shape
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode);
  const [b, h, w] = x.shape as [number, number, number, number];
  const { top, bottom, left, right } = info.padInfo;
  const out = wb.makeOutput(info.outShape, 'float32');
  let hp = h;
  let wp = w;
  let padded: tf.TensorInfo | undefined;
  if (top || bottom || left || right) {
    hp = h + top + bottom;
    wp = w + left + right;
    padded = scratch(wb, b * hp * wp * ci);
    simd.pad_nhwc(ptr(wb, x), b, h, w, ci, ptr(wb, padded), hp, wp, top, left);
  }
  simd.conv2d_forward(
    ptr(wb, padded ?? x), b, hp, wp, ci, ptr(wb, filter), bias ? ptr(wb, bias) : 0, kh, kw, info.strideHeight, info.strideWidth,
    info.dilationHeight, info.dilationWidth, ptr(wb, out), info.outHeight, info.outWidth, co, activation === 'relu' ? 1 : 0,
  );
  if (padded) wb.disposeData(padded.dataId);
  return out;
}

/** The SIMD module and α as one row of C weights per (i, j) (scalar mode: expanded into scratch). */
function alphaRows(wb: WasmBackendLike, alpha: tf.TensorInfo, n: number, c: number, perChannel: boolean, made: tf.TensorInfo[]): number {
  if (perChannel) return ptr(wb, alpha);
  const rows = scratch(wb, n * n * c);
  made.push(rows);
  const src = wb.typedArrayFromHeap(alpha) as Float32Array;
  const dst = wb.typedArrayFromHeap(rows) as Float32Array;
  for (let ij = 0; ij < n * n; ij++) dst.fill(src[ij]!, ij * c, (ij + 1) * c);
  return ptr(wb, rows);
}

/** Every activation has `shape` (rank ≥ 1), everything is float32 and readable. */
function crossStitchFits(wb: WasmBackendLike, activations: readonly tf.TensorInfo[], alpha: tf.TensorInfo): boolean {
  const shape = activations[0]!.shape;
  const same = (t: tf.TensorInfo): boolean => t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
  return shape.length >= 1 && shape[shape.length - 1]! > 0 && activations.every(same) && readable(wb, ...activations, alpha);
}

/**
 * The cross-stitch forward of channel and scalar modes, y_i = Σ_j α_ij ⊙ x_j, for the junction
 * layer to call (src/runtime/cross-stitch.ts): the outputs, or undefined to take its own path.
 */
export function crossStitchForwardSimd(backend: tf.KernelBackend, xs: readonly tf.TensorInfo[], alpha: tf.TensorInfo, perChannel: boolean): tf.TensorInfo[] | undefined {
  const wb = backend as WasmBackendLike;
  if (typeof wb.makeOutput !== 'function' || typeof wb.typedArrayFromHeap !== 'function') return undefined;
  const simd = simdFor(wb);
  const shape = xs[0]!.shape;
  if (!simd || !crossStitchFits(wb, xs, alpha)) return undefined;
  const n = xs.length;
  const c = shape[shape.length - 1]!;
  const rows = shape.reduce((p, d) => p * d, 1) / c;
  const outs = xs.map(() => wb.makeOutput([...shape], 'float32'));
  const made: tf.TensorInfo[] = [];
  const a = alphaRows(wb, alpha, n, c, perChannel, made);
  if (n === 2) simd.cs_forward2(ptr(wb, xs[0]!), ptr(wb, xs[1]!), a, ptr(wb, outs[0]!), ptr(wb, outs[1]!), rows, c);
  else for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) simd.cs_axpy(ptr(wb, xs[j]!), a + 4 * (i * n + j) * c, ptr(wb, outs[i]!), rows, c, j > 0 ? 1 : 0);
  for (const t of made) wb.disposeData(t.dataId);
  return outs;
}

/**
 * The cross-stitch backward of channel and scalar modes: dx_j = Σ_i α_ij ⊙ dy_i and
 * dα_ij = Σ dy_i ⊙ x_j (per channel, or summed over channels in scalar mode); outputs
 * [dx_0..dx_{N−1}, dα], or undefined to take the junction layer's own path.
 */
export function crossStitchBackwardSimd(
  backend: tf.KernelBackend,
  dys: readonly tf.TensorInfo[],
  xs: readonly tf.TensorInfo[],
  alpha: tf.TensorInfo,
  perChannel: boolean,
): tf.TensorInfo[] | undefined {
  const wb = backend as WasmBackendLike;
  if (typeof wb.makeOutput !== 'function' || typeof wb.typedArrayFromHeap !== 'function') return undefined;
  const simd = simdFor(wb);
  const shape = xs[0]!.shape;
  if (!simd || !crossStitchFits(wb, [...dys, ...xs], alpha)) return undefined;
  const n = xs.length;
  const c = shape[shape.length - 1]!;
  const rows = shape.reduce((p, d) => p * d, 1) / c;
  const dxs = xs.map(() => wb.makeOutput([...shape], 'float32'));
  const dAlpha = wb.makeOutput([...alpha.shape], 'float32');
  const sums = scratch(wb, n * n * c);
  const part = scratch(wb, 4 * c);
  const made: tf.TensorInfo[] = [sums, part];
  const a = alphaRows(wb, alpha, n, c, perChannel, made);
  simd.zero_f32(ptr(wb, sums), n * n * c);
  if (n === 2) {
    simd.cs_backward2(ptr(wb, dys[0]!), ptr(wb, dys[1]!), ptr(wb, xs[0]!), ptr(wb, xs[1]!), a, ptr(wb, dxs[0]!), ptr(wb, dxs[1]!), ptr(wb, sums), ptr(wb, part), rows, c);
  } else {
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) simd.cs_axpy(ptr(wb, dys[i]!), a + 4 * (i * n + j) * c, ptr(wb, dxs[j]!), rows, c, i > 0 ? 1 : 0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) simd.cs_dot(ptr(wb, dys[i]!), ptr(wb, xs[j]!), ptr(wb, sums) + 4 * (i * n + j) * c, ptr(wb, part), rows, c);
  }
  const s = wb.typedArrayFromHeap(sums) as Float32Array;
  const da = wb.typedArrayFromHeap(dAlpha) as Float32Array;
  if (perChannel) da.set(s.subarray(0, n * n * c));
  else {
    for (let ij = 0; ij < n * n; ij++) {
      let total = 0;
      for (let k = 0; k < c; k++) total += s[ij * c + k]!;
      da[ij] = total;
    }
  }
  for (const t of made) wb.disposeData(t.dataId);
  return [...dxs, dAlpha];
}

/** dx = dy · step(x) (Relu's gradient) in one pass; undefined where it does not fit. */
export function reluGradSimd(backend: tf.KernelBackend, dy: tf.TensorInfo, x: tf.TensorInfo): tf.TensorInfo | undefined {
  const wb = asWasm(backend);
  const simd = simdFor(wb);
  const n = x.shape.reduce((p, d) => p * d, 1);
  if (!simd || dy.shape.reduce((p, d) => p * d, 1) !== n || !readable(wb, dy, x)) return undefined;
  const out = wb.makeOutput([...x.shape], 'float32');
  simd.relu_grad(ptr(wb, dy), ptr(wb, x), ptr(wb, out), n);
  return out;
}

/**
 * One variable's momentum update, [value', acc'] (new buffers: tensors are immutable, and
 * α's cached junction forward relies on an assigned variable getting a new buffer); undefined
 * where it does not fit. `m` and `c` are float32 values (c = −learning rate).
 */
export function momentumUpdateSimd(backend: tf.KernelBackend, value: tf.TensorInfo, acc: tf.TensorInfo, grad: tf.TensorInfo, m: number, c: number): [tf.TensorInfo, tf.TensorInfo] | undefined {
  const wb = asWasm(backend);
  const simd = simdFor(wb);
  const n = value.shape.reduce((p, d) => p * d, 1);
  const same = (t: tf.TensorInfo): boolean => t.shape.reduce((p, d) => p * d, 1) === n;
  if (!simd || !same(acc) || !same(grad) || !readable(wb, value, acc, grad)) return undefined;
  const newValue = wb.makeOutput([...value.shape], 'float32');
  const newAcc = wb.makeOutput([...value.shape], 'float32');
  simd.momentum_update(ptr(wb, value), ptr(wb, acc), ptr(wb, grad), ptr(wb, newValue), ptr(wb, newAcc), n, m, c);
  return [newValue, newAcc];
}

/**
 * BatchMatMul, C = op(A)·op(B) per batch entry, for equal batch sizes (no broadcasting); a
 * transposed B is transposed once into scratch so B's rows are contiguous. Undefined where it
 * does not fit (then tfjs's kernel runs).
 */
export function batchMatMulSimd({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo | undefined {
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  const wb = asWasm(backend);
  const simd = simdFor(wb);
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (!simd || ra < 2 || rb < 2 || !readable(wb, a, b)) return undefined;
  const batchA = a.shape.slice(0, -2).reduce((p, d) => p * d, 1);
  const batchB = b.shape.slice(0, -2).reduce((p, d) => p * d, 1);
  if (batchA !== batchB || ra !== rb || a.shape.slice(0, -2).some((d, i) => d !== b.shape[i])) return undefined;
  const [m, k] = transposeA ? [a.shape[ra - 1]!, a.shape[ra - 2]!] : [a.shape[ra - 2]!, a.shape[ra - 1]!];
  const [kb, n] = transposeB ? [b.shape[rb - 1]!, b.shape[rb - 2]!] : [b.shape[rb - 2]!, b.shape[rb - 1]!];
  if (k !== kb || m === 0 || n === 0) return undefined;
  const out = wb.makeOutput([...a.shape.slice(0, -2), m, n], 'float32');
  const bt = transposeB ? scratch(wb, k * n) : undefined;
  for (let i = 0; i < batchA; i++) {
    let bp = ptr(wb, b) + 4 * i * k * n;
    if (bt) {
      simd.swap_filter_channels(bp, 1, 1, n, k, ptr(wb, bt));
      bp = ptr(wb, bt);
    }
    simd.matmul(ptr(wb, a) + 4 * i * m * k, transposeA ? 1 : 0, bp, ptr(wb, out) + 4 * i * m * n, m, k, n);
  }
  if (bt) wb.disposeData(bt.dataId);
  return out;
}
