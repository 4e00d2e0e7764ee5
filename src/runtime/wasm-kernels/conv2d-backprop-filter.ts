/**
 * Conv2DBackpropFilter for wasm (absent in tfjs-backend-wasm 4.22), composed from wasm kernels:
 *
 *   dW[kh,kw,ci,co] = Σ_{b,oh,ow} x[b, oh·s+kh−top, ow·s+kw−left, ci] · dy[b,oh,ow,co]
 *
 * is a convolution of x with its batch and channel axes swapped (x: [ci, H, W, B]) by dy as the
 * filter ([oh, ow, B, co]), dilated by the stride, padded like the forward pass: the result
 * [ci, kh, kw, co] is transposed back to [kh, kw, ci, co]. The convolution runs in XNNPACK.
 */
import * as tf from '@tensorflow/tfjs';
import { disposeAll, isChannelsLast, wasmKernel, type KernelArgs, type Pad, type Pair, type Rounding } from './util.js';

export interface Conv2DBackpropFilterAttrs {
  strides: Pair;
  pad: Pad;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: Rounding;
  filterShape: [number, number, number, number];
}

export function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
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
