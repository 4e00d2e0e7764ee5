/**
 * The two gradients of a depthwise convolution, absent in tfjs-backend-wasm 4.22, as
 * JavaScript loops over the wasm heap (the forward pass has no channel-multiplier-aware
 * "transposed" counterpart among the wasm kernels to compose them from). Strides, paddings
 * (valid, same, explicit) and dilations are supported; NHWC only, like the forward kernel.
 *
 *   y[b,oy,ox,c·M+m] = Σ_{i,j} x[b, oy·sh−top+i·dh, ox·sw−left+j·dw, c] · W[i,j,c,m]
 */
import * as tf from '@tensorflow/tfjs';
import { depthwiseBackpropFilterSimd } from './simd-kernels.js';
import { gradientCanvas } from './conv2d-backprop-input.js';
import { asWasm, disposeAll, f32, wasmKernel, type KernelArgs, type Pad, type Pair, type Rounding } from './util.js';

interface DepthwiseAttrs {
  strides: Pair;
  dilations?: Pair;
  pad: Pad;
  dimRoundingMode?: Rounding;
}
export interface DepthwiseBackpropFilterAttrs extends DepthwiseAttrs {
  filterShape: [number, number, number, number];
}
export interface DepthwiseBackpropInputAttrs extends DepthwiseAttrs {
  inputShape: [number, number, number, number];
}

function convInfo(xShape: [number, number, number, number], filterShape: [number, number, number, number], a: DepthwiseAttrs) {
  return tf.backend_util.computeConv2DInfo(xShape, filterShape, a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, true);
}

/** dW[i,j,c,m] = Σ_{b,oy,ox} x[b, oy·sh−top+i·dh, ox·sw−left+j·dw, c] · dy[b,oy,ox,c·M+m] (float64 sums). */
export function depthwiseConv2dNativeBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const simd = depthwiseBackpropFilterSimd(args); // channel multiplier 1, where the SIMD kernels load
  if (simd) return simd;
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as DepthwiseBackpropFilterAttrs;
  const wb = asWasm(backend);
  const info = convInfo(x.shape as [number, number, number, number], a.filterShape, a);
  const [kh, kw, ch, mult] = a.filterShape;
  const { batchSize: nb, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const co = ch * mult;
  const out = wb.makeOutput([kh, kw, ch, mult], 'float32');
  const xs = f32(wb, x);
  const gs = f32(wb, dy);
  const dW = f32(wb, out);
  const acc = new Float64Array(co);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      acc.fill(0);
      for (let n = 0; n < nb; n++) {
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * sh - top + i * dh;
          if (iy < 0 || iy >= h) continue;
          for (let ox = 0; ox < ow; ox++) {
            const ix = ox * sw - left + j * dw;
            if (ix < 0 || ix >= w) continue;
            const xb = ((n * h + iy) * w + ix) * ch;
            const gb = ((n * oh + oy) * ow + ox) * co;
            if (mult === 1) {
              for (let c = 0; c < ch; c++) acc[c] = acc[c]! + xs[xb + c]! * gs[gb + c]!;
            } else {
              for (let c = 0; c < ch; c++) {
                const xv = xs[xb + c]!;
                const g0 = gb + c * mult;
                const a0 = c * mult;
                for (let m = 0; m < mult; m++) acc[a0 + m] = acc[a0 + m]! + xv * gs[g0 + m]!;
              }
            }
          }
        }
      }
      const o = (i * kw + j) * co;
      for (let k = 0; k < co; k++) dW[o + k] = acc[k]!;
    }
  }
  return out;
}

/** dx[b,iy,ix,c] = Σ over the outputs whose window reads (iy,ix) of Σ_m dy[..., c·M+m] · W[i,j,c,m]. */
export function depthwiseConv2dNativeBackpropInput({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const a = attrs as unknown as DepthwiseBackpropInputAttrs;
  const wb = asWasm(backend);
  const filterShape = filter.shape as [number, number, number, number];
  const info = convInfo(a.inputShape, filterShape, a);
  const [kh, kw, ch, mult] = filterShape;
  const { batchSize: nb, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const co = ch * mult;
  if (mult === 1) return depthwiseInputGradByConv(backend, dy, filter, a, info);
  const out = wb.makeOutput(a.inputShape, 'float32');
  const gs = f32(wb, dy);
  const ws = f32(wb, filter);
  const dx = f32(wb, out);
  const acc = new Float64Array(dx.length);
  for (let n = 0; n < nb; n++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const gb = ((n * oh + oy) * ow + ox) * co;
        for (let i = 0; i < kh; i++) {
          const iy = oy * sh - top + i * dh;
          if (iy < 0 || iy >= h) continue;
          for (let j = 0; j < kw; j++) {
            const ix = ox * sw - left + j * dw;
            if (ix < 0 || ix >= w) continue;
            const xb = ((n * h + iy) * w + ix) * ch;
            const wbase = (i * kw + j) * co;
            if (mult === 1) {
              for (let c = 0; c < ch; c++) acc[xb + c] = acc[xb + c]! + gs[gb + c]! * ws[wbase + c]!;
            } else {
              for (let c = 0; c < ch; c++) {
                let s = 0;
                const k0 = c * mult;
                for (let m = 0; m < mult; m++) s += gs[gb + k0 + m]! * ws[wbase + k0 + m]!;
                acc[xb + c] = acc[xb + c]! + s;
              }
            }
          }
        }
      }
    }
  }
  dx.set(acc);
  return out;
}

/**
 * Channel multiplier 1: the input gradient is a depthwise convolution (XNNPACK) of the padded,
 * stride-dilated dy with the spatially flipped filter, with the forward pass's dilations.
 */
function depthwiseInputGradByConv(
  backend: tf.KernelBackend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  a: DepthwiseBackpropInputAttrs,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const wb = asWasm(backend);
  const [kh, kw, ch] = filter.shape as [number, number, number, number];
  const flipped = wb.makeOutput([kh, kw, ch, 1], 'float32');
  const src = f32(wb, filter);
  const dst = f32(wb, flipped);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const s0 = (i * kw + j) * ch;
      dst.set(src.subarray(s0, s0 + ch), ((kh - 1 - i) * kw + (kw - 1 - j)) * ch);
    }
  }
  const made: tf.TensorInfo[] = [flipped];
  const placed = gradientCanvas(backend, dy, a.inputShape, info);
  if (placed.canvas) made.push(placed.canvas);
  const out = wasmKernel('DepthwiseConv2dNative')({
    inputs: { x: placed.src, filter: flipped },
    backend,
    attrs: {
      strides: [1, 1],
      pad: placed.pad as unknown as tf.NamedAttrMap[string],
      dilations: [info.dilationHeight, info.dilationWidth],
      dataFormat: 'NHWC',
    },
  });
  disposeAll(backend, made);
  return out;
}
