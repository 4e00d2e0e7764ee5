/**
 * Conv2DBackpropFilter for wasm (absent in tfjs-backend-wasm 4.22): the SIMD kernel
 * (simd-kernels.ts) where it loads, else composed from wasm kernels,
 *
 *   dW[kh,kw,ci,co] = Σ_{b,oh,ow} x[b, oh·s+kh−top, ow·s+kw−left, ci] · dy[b,oh,ow,co],
 *
 * in one of two formulations, chosen by measurement (bench/experiments/filter-grad.ts for the
 * kernel alone, bench/NOTES.md for whole training steps): an im2col matrix times dy for small
 * patches (kh·kw·ci ≤ 36) with a stride or padding, where the XNNPACK formulation is slow
 * (1.2–4× in isolation, 4 % of a step with a 3×3 "same" conv on RGB input); one XNNPACK
 * convolution otherwise — also for LeNet's conv1 (5×5×1, valid, stride 1), a tie in isolation
 * but 6 % of a step faster than im2col, whose 3.7 MB matrix evicts the step's working set.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterSimd } from './simd-kernels.js';
import { asWasm, disposeAll, f32, isChannelsLast, wasmKernel, type KernelArgs, type Pad, type Pair, type Rounding } from './util.js';

export interface Conv2DBackpropFilterAttrs {
  strides: Pair;
  pad: Pad;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: Rounding;
  filterShape: [number, number, number, number];
}

/** Patches of at most this many values (kh·kw·ci) with a stride or padding use the im2col formulation. */
export const IM2COL_MAX_PATCH = 36;

export function conv2DBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const simd = conv2DBackpropFilterSimd(args);
  if (simd) return simd;
  const a = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  const [kh, kw, ci] = a.filterShape;
  if (kh * kw * ci > IM2COL_MAX_PATCH) return conv2DBackpropFilterXnnpack(args);
  const x = (args.inputs as { x: tf.TensorInfo }).x;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode);
  const p = info.padInfo;
  const plain = info.strideHeight === 1 && info.strideWidth === 1 && p.top === 0 && p.bottom === 0 && p.left === 0 && p.right === 0;
  return plain ? conv2DBackpropFilterXnnpack(args) : conv2DBackpropFilterIm2col(args);
}

/**
 * A convolution of x with its batch and channel axes swapped (x: [ci, H, W, B]) by dy as the
 * filter ([oh, ow, B, co]), dilated by the stride, padded like the forward pass: the result
 * [ci, kh, kw, co] is transposed back to [kh, kw, ci, co]. The convolution runs in XNNPACK.
 */
export function conv2DBackpropFilterXnnpack({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as Conv2DBackpropFilterAttrs;
  if (!isChannelsLast(a.dataFormat)) throw new Error(`Conv2DBackpropFilter on wasm supports NHWC only, got ${a.dataFormat}`);
  const [kh, kw] = a.filterShape;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    a.filterShape,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const [, h, w] = x.shape as [number, number, number, number];
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // Rows/columns of x past the last window are not read: a negative "padding" there becomes a slice.
  const bottom = kh + (info.outHeight - 1) * info.strideHeight - h - top;
  const right = kw + (info.outWidth - 1) * info.strideWidth - w - left;
  const transpose = wasmKernel('Transpose');
  const made: tf.TensorInfo[] = [];
  const xt = transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } });
  made.push(xt);
  const dyt = transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } });
  made.push(dyt);
  const r = wasmKernel('Conv2D')({
    inputs: { x: xt, filter: dyt },
    backend,
    attrs: {
      strides: [1, 1],
      pad: [[0, 0], [top, Math.max(0, bottom)], [left, Math.max(0, right)], [0, 0]] as unknown as tf.NamedAttrMap[string],
      dataFormat: 'NHWC',
      dilations: [info.strideHeight, info.strideWidth],
    },
  });
  made.push(r);
  let cut = r;
  if (r.shape[1] !== kh || r.shape[2] !== kw) {
    cut = wasmKernel('Slice')({ inputs: { x: r }, backend, attrs: { begin: [0, 0, 0, 0], size: [-1, kh, kw, -1] } });
    made.push(cut);
  }
  const out = transpose({ inputs: { x: cut }, backend, attrs: { perm: [1, 2, 0, 3] } });
  disposeAll(backend, made);
  return out;
}

/**
 * The same gradient as one matrix product: dW [kh·kw·ci, co] = cols [kh·kw·ci, N] · dy [N, co]
 * with N = B·oh·ow and cols the patches of x laid out row by row (im2col, one JavaScript pass;
 * zeros where a window reaches into the padding). dy is used as it lies in memory, so nothing
 * is transposed. cols holds kh·kw·ci values per output position.
 */
export function conv2DBackpropFilterIm2col({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as Conv2DBackpropFilterAttrs;
  if (!isChannelsLast(a.dataFormat)) throw new Error(`Conv2DBackpropFilter on wasm supports NHWC only, got ${a.dataFormat}`);
  const wb = asWasm(backend);
  const [kh, kw, ci, co] = a.filterShape;
  const [b, h, w] = x.shape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode);
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const n = b * oh * ow;
  const rows = kh * kw * ci;
  const cols = wb.makeOutput([1, rows, n], 'float32');
  const made: tf.TensorInfo[] = [cols];
  const c = f32(wb, cols);
  const xv = f32(wb, x);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      for (let ch = 0; ch < ci; ch++) {
        const row = ((i * kw + j) * ci + ch) * n;
        // Output columns whose window column ow·sw + j − left falls inside x.
        const x0 = Math.max(0, Math.ceil((left - j) / sw));
        const x1 = Math.min(ow, Math.floor((w - 1 + left - j) / sw) + 1);
        for (let bi = 0; bi < b; bi++) {
          for (let y = 0; y < oh; y++) {
            const dst = row + (bi * oh + y) * ow;
            const r = y * sh + i - top;
            if (r < 0 || r >= h || x1 <= x0) {
              c.fill(0, dst, dst + ow);
              continue;
            }
            if (x0 > 0) c.fill(0, dst, dst + x0);
            if (x1 < ow) c.fill(0, dst + x1, dst + ow);
            let src = ((bi * h + r) * w + (x0 * sw + j - left)) * ci + ch;
            const step = sw * ci;
            for (let q = x0; q < x1; q++, src += step) c[dst + q] = xv[src]!;
          }
        }
      }
    }
  }
  // Reshapes as views of the same data (what the Reshape kernel returns, without a reference).
  const dy2: tf.TensorInfo = { dataId: dy.dataId, shape: [1, n, co], dtype: 'float32' };
  const prod = wasmKernel('BatchMatMul')({ inputs: { a: cols, b: dy2 }, backend, attrs: { transposeA: false, transposeB: false } });
  disposeAll(backend, made);
  const out: tf.TensorInfo = { dataId: prod.dataId, shape: [kh, kw, ci, co], dtype: 'float32' };
  return out;
}
