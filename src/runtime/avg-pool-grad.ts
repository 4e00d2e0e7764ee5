/**
 * The gradient of average pooling, right at the borders of 'same' padding.
 *
 * tfjs 4.22's forward average pool divides each window by the number of its in-bounds inputs
 * (padding is not averaged in), but its `AvgPoolGrad` kernel (cpu; the wasm backend's, and the
 * SIMD kernel that mimicked it) divides every window's gradient by the full filter size. So at
 * the edges of a 'same'-padded pool the gradient is too small by count / (filter h · w), and a
 * model trains differently on tfjs than on PyTorch (which is right). Here each window's dy is
 * divided by its own in-bounds count, the exact gradient of the forward. With 'valid' padding
 * every window is whole and nothing changes.
 *
 * `registerAvgPoolGradFix()` replaces the cpu backend's kernel (on import of this module); the
 * wasm backend's kernel is replaced in wasm-kernels/ with the same rule (SIMD, or this loop).
 */
import * as tf from '@tensorflow/tfjs';

export interface AvgPoolGradAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export function avgPoolInfo(inputShape: readonly number[], a: AvgPoolGradAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(inputShape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad as 'valid' | 'same' | number, a.dimRoundingMode);
}

/** dx (NHWC, zeroed here) from dy: each window's dy / (its in-bounds count) to each of its inputs. */
export function avgPoolGradInto(dy: ArrayLike<number>, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: ch, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const { top, left } = info.padInfo;
  dx.fill(0);
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
        const count = Math.ceil((yMax - yMin) / dh) * Math.ceil((xMax - xMin) / dw);
        if (count <= 0) continue;
        const scale = 1 / count;
        const g = ((n * oh + oy) * ow + ox) * ch;
        for (let iy = yMin; iy < yMax; iy += dh) {
          for (let ix = xMin; ix < xMax; ix += dw) {
            const p = ((n * h + iy) * w + ix) * ch;
            for (let c = 0; c < ch; c++) dx[p + c] = dx[p + c]! + dy[g + c]! * scale;
          }
        }
      }
    }
  }
}

interface CpuBackendLike extends tf.KernelBackend {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
}

function avgPoolGradCpu({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const cpu = backend as CpuBackendLike;
  const info = avgPoolInfo(input.shape, attrs as unknown as AvgPoolGradAttrs);
  const dx = new Float32Array(input.shape.reduce((a, b) => a * b, 1));
  avgPoolGradInto(cpu.readSync(dy.dataId) as Float32Array, dx, info);
  return cpu.makeTensorInfo([...input.shape], 'float32', dx);
}

let registered = false;

/** Replaces the cpu backend's AvgPoolGrad with the exact one (idempotent). */
export function registerAvgPoolGradFix(): void {
  if (registered) return;
  const original = tf.getKernel('AvgPoolGrad', 'cpu');
  if (original) tf.unregisterKernel('AvgPoolGrad', 'cpu');
  tf.registerKernel({ kernelName: 'AvgPoolGrad', backendName: 'cpu', kernelFunc: avgPoolGradCpu as unknown as tf.KernelFunc });
  registered = true;
}

registerAvgPoolGradFix();
