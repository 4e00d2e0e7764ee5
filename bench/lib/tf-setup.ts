/**
 * Backend set-up for the benchmarks. Plugs in the runtime's backend selection and wasm training
 * kernels when they exist (src/runtime/backend.ts, src/runtime/wasm-kernels/); until then it sets
 * the backend directly and, on wasm, registers the bench's own composed Conv2DBackpropFilter
 * (the one kernel a LeNet training step needs that tfjs-backend-wasm 4.22 lacks), and says so.
 */
import * as tf from '@tensorflow/tfjs';
import { loadRuntime } from './optional.js';

export type BenchBackend = 'wasm' | 'cpu';

export interface BackendInfo {
  backend: BenchBackend;
  /** Who selected the backend: the runtime's backend module, or the bench directly. */
  selectedBy: 'runtime' | 'bench';
  /** Where the wasm training kernels came from (wasm only). */
  trainingKernels?: 'runtime' | 'bench-fallback' | 'tfjs';
  simd?: boolean;
  threads?: boolean;
}

const registered = { fallback: false };

export async function useBackend(name: BenchBackend): Promise<BackendInfo> {
  const runtime = await loadRuntime();
  let selectedBy: BackendInfo['selectedBy'] = 'bench';
  const select = runtime?.selectBackend;
  if (typeof select === 'function') {
    try {
      await (select as (b: string) => Promise<unknown>)(name);
      selectedBy = 'runtime';
    } catch {
      selectedBy = 'bench';
    }
  }
  if (tf.getBackend() !== name) {
    if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`tfjs backend ${name} failed to initialise`);
    selectedBy = 'bench';
  }
  await tf.ready();
  const info: BackendInfo = { backend: name, selectedBy };
  if (name === 'wasm') {
    info.trainingKernels = 'tfjs';
    if (!hasKernel('Conv2DBackpropFilter')) {
      const register =
        runtime?.registerWasmTrainingKernels ?? runtime?.registerWasmKernels ?? runtime?.registerTrainingKernels;
      if (typeof register === 'function') {
        try {
          (register as () => unknown)();
        } catch {
          /* fall through to the bench's kernel */
        }
      }
      if (hasKernel('Conv2DBackpropFilter')) info.trainingKernels = 'runtime';
      else {
        registerFallbackFilterGrad();
        info.trainingKernels = 'bench-fallback';
      }
    } else if (!registered.fallback) info.trainingKernels = 'runtime';
    else info.trainingKernels = 'bench-fallback';
    info.simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    info.threads = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  }
  return info;
}

function hasKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, 'wasm') !== undefined;
}

type KernelFn = (args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }) => tf.TensorInfo;

function wasmKernel(name: string): KernelFn {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`wasm kernel ${name} missing`);
  return k.kernelFunc as unknown as KernelFn;
}

/**
 * dW[kh,kw,ci,co] = Σ_{b,oh,ow} x[b, oh·s+kh−top, ow·s+kw−left, ci] · dy[b,oh,ow,co]: a
 * convolution of x (channels as batch, batch as channels) with dy (dilated by the stride),
 * between two transposes. NHWC only.
 */
export const fallbackFilterGrad: tf.KernelFunc = ({ inputs, backend: b, attrs }) => {
  const backend = b as tf.KernelBackend;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as {
    strides: number | [number, number];
    pad: 'valid' | 'same' | number;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  const transpose = wasmKernel('Transpose');
  const conv = wasmKernel('Conv2D');
  const slice = wasmKernel('Slice');
  const [kh, kw] = a.filterShape;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    a.filterShape,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const [, h, w] = x.shape as number[];
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const bottom = Math.max(0, kh + (info.outHeight - 1) * info.strideHeight - h! - top);
  const right = Math.max(0, kw + (info.outWidth - 1) * info.strideWidth - w! - left);
  const xt = transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } });
  const dyt = transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } });
  const r = conv({
    inputs: { x: xt, filter: dyt },
    backend,
    attrs: {
      strides: [1, 1],
      pad: [[0, 0], [top, bottom], [left, right], [0, 0]] as unknown as tf.NamedAttrMap[string],
      dataFormat: 'NHWC',
      dilations: [info.strideHeight, info.strideWidth],
    },
  });
  let cut = r;
  if (r.shape[1] !== kh || r.shape[2] !== kw) {
    cut = slice({ inputs: { x: r }, backend, attrs: { begin: [0, 0, 0, 0], size: [-1, kh, kw, -1] } });
  }
  const out = transpose({ inputs: { x: cut }, backend, attrs: { perm: [1, 2, 0, 3] } });
  for (const t of new Set([xt, dyt, r, cut])) backend.disposeData(t.dataId);
  return out;
};

function registerFallbackFilterGrad(): void {
  if (registered.fallback) return;
  registered.fallback = true;
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: fallbackFilterGrad });
}
