/**
 * Wrappers over tfjs-backend-wasm's own kernels, each calling the original for what it does not
 * handle:
 * - Sum over leading axes (every bias gradient) in one SIMD pass; wasm's Sum transposes the
 *   reduced axes to the end first.
 * - AvgPoolGrad in one SIMD pass, else one JavaScript pass; both divide each window's dy by its
 *   in-bounds count as the forward does (tfjs's own divides by the filter size: wrong at 'same'
 *   borders; ../avg-pool-grad.ts).
 * - Identity without a copy: tfjs-core clones every tensor it saves for the backward pass
 *   (`saveTensorsForBackwardMode`) through Identity; on cpu that is a reference-count bump, on
 *   wasm a memcpy (73 a MultiMNIST step). No wasm kernel writes into an input's buffer (tensors
 *   are immutable; Reshape already shares buffers this way), so a shared buffer is safe.
 */
import type * as tf from '@tensorflow/tfjs';
import { avgPoolGradSimd, conv2DForwardSimd, sumLeadingSimd } from './simd-kernels.js';
import { simdFor } from './simd.js';
import { asWasm, f32, type KernelArgs, type WasmKernelFunc } from './util.js';
import { avgPoolGradInto, avgPoolInfo, type AvgPoolGradAttrs } from '../avg-pool-grad.js';

export function makeSum(original: WasmKernelFunc): WasmKernelFunc {
  return (args: KernelArgs): tf.TensorInfo => sumLeadingSimd(args) ?? original(args);
}

export function makeAvgPoolGrad(original: WasmKernelFunc): WasmKernelFunc {
  return (args: KernelArgs): tf.TensorInfo => avgPoolGradSimd(args) ?? avgPoolGradJs(args) ?? original(args);
}

function avgPoolGradJs({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo | undefined {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  if (dy.dtype !== 'float32') return undefined;
  const wb = asWasm(backend);
  const out = wb.makeOutput(input.shape, 'float32');
  avgPoolGradInto(f32(wb, dy), f32(wb, out), avgPoolInfo(input.shape, attrs as unknown as AvgPoolGradAttrs));
  return out;
}

/** Shares x's buffer (reference counted) when the SIMD kernels are on; copies otherwise. */
export function makeIdentity(original: WasmKernelFunc): WasmKernelFunc {
  return (args: KernelArgs): tf.TensorInfo => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const wb = asWasm(args.backend);
    if (x.dtype === 'string' || !simdFor(wb)) return original(args);
    wb.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/**
 * Conv2D / FusedConv2D: the SIMD forward convolution for unpadded convolutions with large
 * windows (kh·kw ≥ 16), else tfjs's (XNNPACK). Chosen by measurement (bench/simd-kernels.ts,
 * CPU time): LeNet's 5×5 conv1 1.31× and conv2 1.22× faster; 3×3 "same" on 3 and 16 channels
 * 0.81× and 0.92× (XNNPACK pads without a copy and its 3×3 micro-kernels are better).
 */
export function makeConvForward(original: WasmKernelFunc): WasmKernelFunc {
  return (args: KernelArgs): tf.TensorInfo => {
    const f = (args.inputs as { filter?: tf.TensorInfo }).filter;
    const pad = (args.attrs as { pad?: unknown } | undefined)?.pad;
    const fits = f !== undefined && f.shape[0]! * f.shape[1]! >= 16 && (pad === 'valid' || pad === 0);
    return (fits ? conv2DForwardSimd(args) : undefined) ?? original(args);
  };
}
