/**
 * A faster MaxPoolGrad for wasm: the SIMD kernel (simd-kernels.ts) where it loads, else one JavaScript pass over the windows on the wasm heap.
 * For every output position and channel it finds the first maximum of the window (row-major
 * scan, strict `>` from −∞, so NaN and −∞ windows pass no gradient: the cpu backend's rule) and
 * adds dy there. Per output: one read of the window, one write; tfjs-backend-wasm 4.22's C++
 * kernel loops over every input position and re-scans each window that covers it.
 */
import * as tf from '@tensorflow/tfjs';
import { maxPoolGradSimd } from './simd-kernels.js';
import { asWasm, f32, type KernelArgs, type Pad, type Pair, type Rounding } from './util.js';

export interface MaxPoolGradAttrs {
  filterSize: Pair;
  strides: Pair;
  pad: Pad;
  dimRoundingMode?: Rounding;
}

export function maxPoolGrad(args: KernelArgs): tf.TensorInfo {
  const simd = maxPoolGradSimd(args);
  if (simd) return simd;
  const { inputs, backend, attrs } = args;
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const a = attrs as unknown as MaxPoolGradAttrs;
  const wb = asWasm(backend);
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad as 'valid' | 'same' | number,
    a.dimRoundingMode,
  );
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: ch, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const out = wb.makeOutput(input.shape, 'float32');
  const x = f32(wb, input);
  const g = f32(wb, dy);
  const dx = f32(wb, out);
  dx.fill(0);
  if (fh === 2 && fw === 2 && sh === 2 && sw === 2 && dh === 1 && dw === 1 && top === 0 && left === 0 && oh * 2 <= h && ow * 2 <= w) {
    pool2x2(x, g, dx, nb, h, w, ch, oh, ow);
    return out;
  }
  // Offsets of the window's in-bounds pixels (channel 0), rebuilt per output position; then per
  // channel one scan over them. Channel-inner loops read contiguous memory.
  const offs = new Int32Array(Math.max(1, Math.ceil(fh / dh) * Math.ceil(fw / dw)));
  for (let n = 0; n < nb; n++) {
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - top;
      let yMin = y0;
      while (yMin < 0) yMin += dh;
      const yMax = Math.min(h, y0 + fh);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - left;
        let xMin = x0;
        while (xMin < 0) xMin += dw;
        const xMax = Math.min(w, x0 + fw);
        let k = 0;
        for (let iy = yMin; iy < yMax; iy += dh) {
          const rowBase = (n * h + iy) * w;
          for (let ix = xMin; ix < xMax; ix += dw) offs[k++] = (rowBase + ix) * ch;
        }
        const gBase = ((n * oh + oy) * ow + ox) * ch;
        for (let c = 0; c < ch; c++) {
          let best = -Infinity;
          let at = -1;
          for (let t = 0; t < k; t++) {
            const p = offs[t]! + c;
            const v = x[p]!;
            if (v > best) {
              best = v;
              at = p;
            }
          }
          if (at >= 0) dx[at] = dx[at]! + g[gBase + c]!;
        }
      }
    }
  }
  return out;
}

/** The common 2×2, stride 2, unpadded case with the window unrolled (same rule: first maximum, from −∞). */
function pool2x2(x: Float32Array, g: Float32Array, dx: Float32Array, nb: number, h: number, w: number, ch: number, oh: number, ow: number): void {
  const down = w * ch;
  for (let n = 0; n < nb; n++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const p00 = ((n * h + 2 * oy) * w + 2 * ox) * ch;
        const gb = ((n * oh + oy) * ow + ox) * ch;
        for (let c = 0; c < ch; c++) {
          const q = p00 + c;
          let best = -Infinity;
          let at = -1;
          let v = x[q]!;
          if (v > best) {
            best = v;
            at = q;
          }
          v = x[q + ch]!;
          if (v > best) {
            best = v;
            at = q + ch;
          }
          v = x[q + down]!;
          if (v > best) {
            best = v;
            at = q + down;
          }
          v = x[q + down + ch]!;
          if (v > best) at = q + down + ch;
          if (at >= 0) dx[at] = dx[at]! + g[gb + c]!;
        }
      }
    }
  }
}
