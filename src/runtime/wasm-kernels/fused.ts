/**
 * Fewer kernel calls per training step on wasm: two fused kernels that replace compositions of
 * small tfjs kernels with one SIMD pass each, computing the same float32 operations in the same
 * order (so the same bits; test/runtime/wasm-fused.test.ts checks bit equality):
 * - Relu's gradient, dy · step(x): tfjs composes it from Step, Cast and Multiply (three kernels
 *   and two temporaries of the activation's size). The runtime re-registers Relu's gradient to
 *   call `MtlcReluGrad` on wasm with the SIMD kernels; every other backend (and wasm without
 *   them) gets tfjs's own composition.
 * - A momentum update, acc' = m·acc + g and value' = c·acc' + value: tfjs's MomentumOptimizer
 *   runs four kernels per variable (../train/momentum.ts calls `MtlcMomentumUpdate` instead).
 * Each kernel dispatch costs JavaScript work (engine bookkeeping, a tensor record, tidy), which
 * is why the count matters (bench/NOTES.md, "per-step overhead").
 */
import * as tf from '@tensorflow/tfjs';
import { momentumUpdateSimd, reluGradSimd } from './simd-kernels.js';
import { simdFor } from './simd.js';
import { asWasm, f32, type KernelArgs, type WasmBackendLike } from './util.js';

export const RELU_GRAD_KERNEL = 'MtlcReluGrad';
export const MOMENTUM_UPDATE_KERNEL = 'MtlcMomentumUpdate';

/** Whether the active backend is wasm with the SIMD kernels (then the fused kernels run). */
export function fusedKernelsActive(): boolean {
  if (tf.getBackend() !== 'wasm') return false;
  const b = tf.engine().backend as Partial<WasmBackendLike>;
  return typeof b.makeOutput === 'function' && simdFor(b as WasmBackendLike) !== undefined && tf.getKernel(RELU_GRAD_KERNEL, 'wasm') !== undefined;
}

/** dy · step(x); the JavaScript loop only where the SIMD kernel does not fit (same values). */
function reluGradKernel({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
  const simd = reluGradSimd(backend, dy, x);
  if (simd) return simd;
  const wb = asWasm(backend);
  const out = wb.makeOutput([...x.shape], 'float32');
  const [d, xs, o] = [f32(wb, dy), f32(wb, x), f32(wb, out)];
  for (let i = 0; i < o.length; i++) {
    const v = xs[i]!;
    o[i] = d[i]! * (v > 0 ? 1 : Number.isNaN(v) ? v : 0); // float32 product of float32s: exact in double, then rounded once
  }
  return out;
}

/** [value', acc'] of one momentum step; attrs m and c are float32 values. */
function momentumUpdateKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { value, acc, grad } = inputs as { value: tf.TensorInfo; acc: tf.TensorInfo; grad: tf.TensorInfo };
  const { m, c } = attrs as { m: number; c: number };
  const simd = momentumUpdateSimd(backend, value, acc, grad, m, c);
  if (simd) return simd;
  const wb = asWasm(backend);
  const newValue = wb.makeOutput([...value.shape], 'float32');
  const newAcc = wb.makeOutput([...value.shape], 'float32');
  const [v, a, g, nv, na] = [f32(wb, value), f32(wb, acc), f32(wb, grad), f32(wb, newValue), f32(wb, newAcc)];
  const fr = Math.fround;
  for (let i = 0; i < nv.length; i++) {
    const ai = fr(fr(m * a[i]!) + g[i]!);
    na[i] = ai;
    nv[i] = fr(fr(c * ai) + v[i]!);
  }
  return [newValue, newAcc];
}

let registered = false;

/**
 * Registers the fused kernels on wasm and re-registers Relu's gradient (idempotent). Relu's
 * gradient stays tfjs's composition wherever the fused kernel is not active, and the fused
 * kernel has a gradient of its own, so higher-order gradients still work.
 */
export function registerFusedKernels(): void {
  if (registered) return;
  registered = true;
  if (tf.getKernel(RELU_GRAD_KERNEL, 'wasm') === undefined) {
    tf.registerKernel({ kernelName: RELU_GRAD_KERNEL, backendName: 'wasm', kernelFunc: reluGradKernel as unknown as tf.KernelFunc });
  }
  if (tf.getKernel(MOMENTUM_UPDATE_KERNEL, 'wasm') === undefined) {
    tf.registerKernel({ kernelName: MOMENTUM_UPDATE_KERNEL, backendName: 'wasm', kernelFunc: momentumUpdateKernel as unknown as tf.KernelFunc });
  }
  const reluGrad = (dy: tf.Tensor, x: tf.Tensor): tf.Tensor =>
    fusedKernelsActive() ? (tf.engine().runKernel(RELU_GRAD_KERNEL, { dy, x }) as tf.Tensor) : tf.mul(dy, tf.cast(tf.step(x), 'float32'));
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as tf.Tensor[];
      return { x: () => reluGrad(dy as tf.Tensor, x!) };
    },
  });
  tf.registerGradient({
    kernelName: RELU_GRAD_KERNEL,
    inputsToSave: ['x'],
    gradFunc: (ddx, saved) => {
      const [x] = saved as tf.Tensor[];
      return { dy: () => reluGrad(ddx as tf.Tensor, x!), x: () => tf.zerosLike(x!) };
    },
  });
}
