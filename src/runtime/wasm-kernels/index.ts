/**
 * Training kernels for the wasm backend.
 *
 * What `@tensorflow/tfjs-backend-wasm` 4.22 lacks for training the layer kinds of the spec
 * language, found by comparing `tf.getKernelsForBackend('wasm')` with 'cpu' and running a
 * backward pass of every layer kind, activation, loss and metric on wasm:
 *
 * | kernel                               | needed by                                         |
 * | ------------------------------------ | ------------------------------------------------- |
 * | Conv2DBackpropFilter                 | conv2d (the filter gradient; also any conv2d's dx, |
 * |                                      | since fused conv2d computes both)                  |
 * | DepthwiseConv2dNativeBackpropFilter  | depthwiseConv2d (filter gradient)                  |
 * | DepthwiseConv2dNativeBackpropInput   | depthwiseConv2d (input gradient)                   |
 * | UnsortedSegmentSum                   | the gradient of `gather` (no built-in layer kind   |
 * |                                      | uses it today; custom code and embeddings do)      |
 *
 * Everything else trains on wasm 4.22 as is: dense, max/average/global pooling, flatten,
 * reshape, dropout, batchNormalization, layerNormalization, every activation (elu, selu,
 * softplus, gelu, gelu_new, mish, swish, ...), every loss and every metric of
 * src/layers/activations.ts. Also absent on wasm but needed by nothing above: Complex,
 * ComplexAbs, Real, Imag, FFT, IFFT, Einsum, Draw, Ragged*, StaticRegexReplace.
 *
 * Not a kernel gap: a conv2d or depthwiseConv2d with dilationRate > 1 cannot train on any tfjs
 * 4.22 backend (the gradient functions in tfjs-core refuse dilations > 1 before a kernel runs).
 *
 * Faster replacements of existing wasm kernels (registered over tfjs's, measured in
 * bench/kernels.ts, recorded in bench/NOTES.md): Conv2DBackpropInput (a forward XNNPACK
 * convolution of the padded output gradient with the flipped filter) and MaxPoolGrad (one
 * pass over the windows instead of tfjs's C++ loop; tfjs's also drops the gradient of windows
 * whose values are all negative), BatchMatMul with a transpose flag (an explicit Transpose, then
 * tfjs's kernel without flags). Each replaced kernel is kept and still serves the cases the
 * replacement does not (NCHW convolutions, products without transposes).
 */
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilter } from './conv2d-backprop-filter.js';
import { makeConv2DBackpropInput } from './conv2d-backprop-input.js';
import { depthwiseConv2dNativeBackpropFilter, depthwiseConv2dNativeBackpropInput } from './depthwise.js';
import { maxPoolGrad } from './max-pool-grad.js';
import { makeBatchMatMul } from './batch-mat-mul.js';
import { unsortedSegmentSum } from './unsorted-segment-sum.js';
import { makeAvgPoolGrad, makeConvForward, makeIdentity, makeSum } from './small-kernels.js';
import { makeSamePaddingFix, SAME_PADDING_FIXED_KERNELS } from './same-padding.js';
import type { WasmKernelFunc } from './util.js';
import { registerFusedKernels } from './fused.js';

export { conv2DBackpropFilter } from './conv2d-backprop-filter.js';
export { makeConv2DBackpropInput, flipSwapFilter } from './conv2d-backprop-input.js';
export { depthwiseConv2dNativeBackpropFilter, depthwiseConv2dNativeBackpropInput } from './depthwise.js';
export { maxPoolGrad } from './max-pool-grad.js';
export { makeBatchMatMul } from './batch-mat-mul.js';
export { unsortedSegmentSum } from './unsorted-segment-sum.js';
export { fusedKernelsActive, MOMENTUM_UPDATE_KERNEL, RELU_GRAD_KERNEL } from './fused.js';
export { prepareWasmSimdKernels, simdUnavailableReason, useWasmSimdKernels } from './simd.js';
export { SAME_PADDING_FIXED_KERNELS, sameAsExplicitPadding } from './same-padding.js';

/** Kernels wasm 4.22 lacks; registered only where no wasm kernel of that name exists. */
export const MISSING_WASM_KERNELS = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
] as const;

/** Existing wasm kernels replaced by faster ones (the original is kept as a fallback). */
export const REPLACED_WASM_KERNELS = ['Conv2DBackpropInput', 'MaxPoolGrad', 'BatchMatMul', 'Sum', 'AvgPoolGrad', 'Identity', 'Conv2D', 'FusedConv2D'] as const;

export interface WasmKernelRegistration {
  /** Kernels registered so far because wasm had none. */
  readonly added: readonly string[];
  /** Existing wasm kernels replaced so far with faster ones. */
  readonly replaced: readonly string[];
  /** Existing wasm kernels wrapped so far to compute the right thing (SAME_PADDING_FIXED_KERNELS). */
  readonly fixed: readonly string[];
}

const state: {
  added: string[];
  replaced: string[];
  fixed: string[];
  originals: Map<string, tf.KernelConfig>;
  /** tfjs's own kernels under the correctness fixes. */
  unfixed: Map<string, tf.KernelConfig>;
  replacements: Map<string, tf.KernelConfig>;
  /** Set by `replaceSlow: false`: later calls do not replace either. */
  replacementsDeclined: boolean;
} = {
  added: [],
  replaced: [],
  fixed: [],
  originals: new Map(),
  unfixed: new Map(),
  replacements: new Map(),
  replacementsDeclined: false,
};

export interface RegisterWasmKernelsOptions {
  /** Replace the slow existing kernels (default true). False registers only the missing ones. */
  readonly replaceSlow?: boolean;
}

/**
 * Registers the missing wasm training kernels and replaces the slow ones. Idempotent: a second
 * call changes nothing that the first did. A missing kernel that the wasm backend already
 * provides (a newer tfjs) is left alone. Replacements apply where an original wasm kernel
 * exists, which is the case once `@tensorflow/tfjs-backend-wasm` has been imported (it
 * registers its kernels on import); a call made before that import registers the missing
 * kernels, and a later call adds the replacements. Returns everything registered so far.
 */
export function registerWasmTrainingKernels(options: RegisterWasmKernelsOptions = {}): WasmKernelRegistration {
  const fills: Record<(typeof MISSING_WASM_KERNELS)[number], WasmKernelFunc> = {
    Conv2DBackpropFilter: conv2DBackpropFilter,
    DepthwiseConv2dNativeBackpropFilter: depthwiseConv2dNativeBackpropFilter,
    DepthwiseConv2dNativeBackpropInput: depthwiseConv2dNativeBackpropInput,
    UnsortedSegmentSum: unsortedSegmentSum,
  };
  registerFusedKernels();
  for (const name of MISSING_WASM_KERNELS) {
    if (tf.getKernel(name, 'wasm') !== undefined) continue;
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: fills[name] as unknown as tf.KernelFunc });
    state.added.push(name);
  }
  for (const name of SAME_PADDING_FIXED_KERNELS) {
    if (state.fixed.includes(name)) continue;
    const existing = tf.getKernel(name, 'wasm');
    if (existing === undefined) continue;
    state.unfixed.set(name, existing);
    wrapKernel(existing, makeSamePaddingFix(name, existing.kernelFunc as unknown as WasmKernelFunc));
    state.fixed.push(name);
  }
  if ((options.replaceSlow ?? true) && !state.replacementsDeclined) {
    for (const name of REPLACED_WASM_KERNELS) {
      if (state.replacements.has(name)) continue;
      const existing = tf.getKernel(name, 'wasm');
      if (existing === undefined) continue;
      const original = existing.kernelFunc as unknown as WasmKernelFunc;
      const makers: Record<(typeof REPLACED_WASM_KERNELS)[number], (o: WasmKernelFunc) => WasmKernelFunc> = {
        Conv2DBackpropInput: makeConv2DBackpropInput,
        BatchMatMul: makeBatchMatMul,
        MaxPoolGrad: () => maxPoolGrad,
        Sum: makeSum,
        AvgPoolGrad: makeAvgPoolGrad,
        Identity: makeIdentity,
        Conv2D: makeConvForward,
        FusedConv2D: makeConvForward,
      };
      const replacement = makers[name](original);
      state.originals.set(name, existing);
      state.replacements.set(name, wrapKernel(existing, replacement));
      state.replaced.push(name);
    }
  } else if (options.replaceSlow === false) {
    state.replacementsDeclined = true;
  }
  return { added: [...state.added], replaced: [...state.replaced], fixed: [...state.fixed] };
}

/** Registers `kernelFunc` in place of the wasm kernel `existing`; returns the new config. */
function wrapKernel(existing: tf.KernelConfig, kernelFunc: WasmKernelFunc): tf.KernelConfig {
  tf.unregisterKernel(existing.kernelName, 'wasm');
  // The original's setup (cwrap of its C++ entry point) must still run if the backend
  // initialises after this call, since the wrapper calls the original.
  const config: tf.KernelConfig = { kernelName: existing.kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc };
  if (existing.setupFunc) config.setupFunc = existing.setupFunc;
  if (existing.disposeFunc) config.disposeFunc = existing.disposeFunc;
  tf.registerKernel(config);
  return config;
}

/** The wasm backend's own kernel that `registerWasmTrainingKernels` replaced or wrapped (for benchmarks and tests). */
export function originalWasmKernel(name: (typeof REPLACED_WASM_KERNELS)[number] | (typeof SAME_PADDING_FIXED_KERNELS)[number]): WasmKernelFunc | undefined {
  return (state.unfixed.get(name) ?? state.originals.get(name))?.kernelFunc as unknown as WasmKernelFunc | undefined;
}

/**
 * Switches between the replacements and tfjs's own kernels after `registerWasmTrainingKernels`
 * (for side-by-side benchmarks: bench/kernels.ts). The missing kernels stay registered.
 */
export function useWasmKernelReplacements(on: boolean): void {
  for (const name of state.replaced) {
    const config = (on ? state.replacements : state.originals).get(name)!;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
  }
}
