/**
 * BatchMatMul for wasm: the SIMD matrix product (simd-kernels.ts) where it fits, else
 * `transposeA`/`transposeB` done as an explicit Transpose first.
 * tfjs-backend-wasm 4.22's kernel is 5–6× slower with a transpose flag than without on the
 * shapes of a dense layer's gradient (dx = dy·Wᵀ, dW = xᵀ·dy): [64,320]×[320,50] 1.1 ms with a
 * flag, 0.2 ms as transpose + plain product. Without flags the original kernel runs unchanged.
 */
import type * as tf from '@tensorflow/tfjs';
import { batchMatMulSimd } from './simd-kernels.js';
import { disposeAll, wasmKernel, type KernelArgs, type WasmKernelFunc } from './util.js';

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

export function makeBatchMatMul(original: WasmKernelFunc): WasmKernelFunc {
  return (args: KernelArgs): tf.TensorInfo => {
    const simd = batchMatMulSimd(args);
    if (simd) return simd;
    const { inputs, backend, attrs } = args;
    const { transposeA, transposeB } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    if (!transposeA && !transposeB) return original(args);
    let { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const made: tf.TensorInfo[] = [];
    const transpose = wasmKernel('Transpose');
    if (transposeA) {
      a = transpose({ inputs: { x: a }, backend, attrs: { perm: swapLastTwo(a.shape.length) } });
      made.push(a);
    }
    if (transposeB) {
      b = transpose({ inputs: { x: b }, backend, attrs: { perm: swapLastTwo(b.shape.length) } });
      made.push(b);
    }
    const out = original({ inputs: { a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    disposeAll(backend, made);
    return out;
  };
}
