/**
 * A faster MaxPoolGrad for wasm: one JavaScript pass over the windows on the wasm heap.
 * For every output position and channel it finds the first maximum of the window (row-major
 * scan, strict `>` from −∞, so NaN and −∞ windows pass no gradient: the cpu backend's rule) and
 * adds dy there. Per output: one read of the window, one write; tfjs-backend-wasm 4.22's C++
 * kernel loops over every input position and re-scans each window that covers it.
 */
import * as tf from '@tensorflow/tfjs';
import { asWasm, f32, type KernelArgs, type Pad, type Pair, type Rounding } from './util.js';

export interface MaxPoolGradAttrs {
  filterSize: Pair;
  strides: Pair;
  pad: Pad;
  dimRoundingMode?: Rounding;
}

export function maxPoolGrad({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
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
  const best = new Float32Array(ch);
  const pos = new Int32Array(ch);
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
        best.fill(-Infinity);
        pos.fill(-1);
        for (let iy = yMin; iy < yMax; iy += dh) {
          const rowBase = (n * h + iy) * w;
          for (let ix = xMin; ix < xMax; ix += dw) {
            const base = (rowBase + ix) * ch;
            for (let c = 0; c < ch; c++) {
              const v = x[base + c]!;
              if (v > best[c]!) {
                best[c] = v;
                pos[c] = base + c;
              }
            }
          }
        }
        const gBase = ((n * oh + oy) * ow + ox) * ch;
        for (let c = 0; c < ch; c++) {
          const p = pos[c]!;
          if (p >= 0) dx[p] = dx[p]! + g[gBase + c]!;
        }
      }
    }
  }
  return out;
}
