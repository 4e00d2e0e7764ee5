/**
 * A correctness fix for tfjs-backend-wasm 4.22's convolutions with `padding: same`.
 *
 * The four XNNPACK convolution kernels (Conv2D, FusedConv2D, DepthwiseConv2dNative,
 * FusedDepthwiseConv2D) pass "same" to XNNPACK as `XNN_FLAG_TENSORFLOW_SAME_PADDING`, and XNNPACK
 * computes the total padding as `(out − 1)·stride + effectiveKernel − in` in unsigned arithmetic.
 * When that is negative — a stride larger than the kernel, e.g. in 9, kernel 2, stride 3: out 3,
 * (3−1)·3 + 2 − 9 = −1 — it wraps to a huge padding and every output is 0 (tfjs's own padInfo
 * clamps it to 0, and the cpu backend is right). Both axes are checked; either one triggers it.
 *
 * The fix: in exactly that case, call the same kernel with the explicit padding tfjs computed for
 * "same" (top/bottom/left/right; 0 on the clamped axis). With a total padding p ≥ 0 the output of
 * explicit padding, ⌊(in + p − k)/s⌋ + 1, equals same's ⌈in/s⌉ (p = (⌈in/s⌉ − 1)·s + k − in when
 * non-negative; when clamped to 0, ⌊(in − k)/s⌋ + 1 = ⌈in/s⌉ because (⌈in/s⌉ − 1)·s + k ≤ in <
 * ⌈in/s⌉·s + k), so shapes and values are those of "same". Every other call goes to tfjs's kernel
 * unchanged. The gradients need nothing: the runtime's backward kernels call these forward kernels
 * with explicit paddings only.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelArgs, WasmKernelFunc } from './util.js';

/** The wasm kernels that hand "same" to XNNPACK (tfjs-backend-wasm/src/cc/conv2d_impl.cc). */
export const SAME_PADDING_FIXED_KERNELS = ['Conv2D', 'FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2D'] as const;

interface ConvAttrs {
  strides: number | [number, number];
  dilations?: number | [number, number];
  pad: unknown;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: string;
}

/**
 * The explicit padding equivalent to "same" when XNNPACK would get "same" wrong, else undefined.
 * `depthwise` selects the filter layout [kh, kw, ci, multiplier].
 */
export function sameAsExplicitPadding(
  xShape: readonly number[],
  filterShape: readonly number[],
  attrs: ConvAttrs,
  depthwise: boolean,
): [[number, number], [number, number], [number, number], [number, number]] | undefined {
  if (attrs.pad !== 'same' || xShape.length !== 4 || filterShape.length !== 4) return undefined;
  const channelsLast = attrs.dataFormat === undefined || attrs.dataFormat === 'NHWC' || attrs.dataFormat === 'channelsLast';
  if (!channelsLast) return undefined; // wasm refuses NCHW convolutions anyway
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    'same',
    attrs.dimRoundingMode,
    depthwise,
  );
  const alongH = (info.outHeight - 1) * info.strideHeight + info.effectiveFilterHeight - info.inHeight;
  const alongW = (info.outWidth - 1) * info.strideWidth + info.effectiveFilterWidth - info.inWidth;
  if (alongH >= 0 && alongW >= 0) return undefined;
  const p = info.padInfo;
  return [
    [0, 0],
    [p.top, p.bottom],
    [p.left, p.right],
    [0, 0],
  ];
}

/** Wraps one of SAME_PADDING_FIXED_KERNELS: the failing "same" calls get the explicit padding. */
export function makeSamePaddingFix(name: (typeof SAME_PADDING_FIXED_KERNELS)[number], original: WasmKernelFunc): WasmKernelFunc {
  const depthwise = name === 'DepthwiseConv2dNative' || name === 'FusedDepthwiseConv2D';
  return (args: KernelArgs): tf.TensorInfo => {
    const { x, filter } = args.inputs as { x?: tf.TensorInfo; filter?: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs | undefined;
    if (x === undefined || filter === undefined || attrs === undefined) return original(args);
    const pad = sameAsExplicitPadding(x.shape, filter.shape, attrs, depthwise);
    if (pad === undefined) return original(args);
    // dimRoundingMode applies to explicit paddings only (tfjs ignores it for "same"): drop it.
    const { dimRoundingMode: _unused, ...rest } = args.attrs as tf.NamedAttrMap;
    return original({ ...args, attrs: { ...rest, pad: pad as unknown as tf.NamedAttrMap[string] } });
  };
}
