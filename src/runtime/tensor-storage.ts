/**
 * Tensors whose storage type matches their dtype, whichever backend they move to.
 *
 * tfjs 4.22's cpu `Cast` does not copy a widening cast (int32 -> float32, bool -> float32,
 * bool -> int32): the result shares the input's buffer, an `Int32Array` or `Uint8Array`, under the
 * new dtype, and the engine keeps one record per buffer with the first tensor's dtype. Moving that
 * buffer to wasm (any wasm kernel reading a tensor made while cpu was active) writes it to the
 * heap as int32 or bool bytes, which wasm kernels of the float32 tensor then read as floats: the
 * usual `tf.oneHot(labels, n).toFloat()` targets become ~1e-45 (int bits), training on them gives
 * near-zero losses and NaN weights (bench/NOTES.md, "Found, not changed").
 *
 * The fix is at the cause: the cpu `Cast` below gives every cast its own buffer of the target
 * type (registered when the runtime loads, so tensors a user makes after importing a generated
 * model or `mtlc/runtime` are right on every backend). `withOwnStorage` repairs tensors made
 * before that (e.g. before a dynamic import of the runtime).
 */
import * as tf from '@tensorflow/tfjs';

interface CpuBackendLike {
  readSync(dataId: object): ArrayLike<number>;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array | Int32Array): unknown;
}
interface CastArgs {
  inputs: { x: { dataId: object; shape: number[]; dtype: tf.DataType } };
  attrs: { dtype: tf.DataType };
  backend: CpuBackendLike;
}

/** Marks our kernel function so a second registration (or a second copy of this module) keeps it. */
const COPYING_CAST = Symbol.for('mtlc.copyingCpuCast');

/** Replaces the cpu `Cast` kernel with one that copies widening casts into a buffer of the target type. */
export function registerCopyingCpuCast(): void {
  const original = tf.getKernel('Cast', 'cpu');
  if (original == null || (original.kernelFunc as unknown as Record<symbol, unknown>)[COPYING_CAST] === true) return;
  const kernelFunc = (args: CastArgs): unknown => {
    const { x } = args.inputs;
    const to = args.attrs.dtype;
    const widening = x.dtype !== to && (x.dtype === 'int32' || x.dtype === 'bool') && (to === 'float32' || to === 'int32');
    if (!widening) return original.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]);
    const values = args.backend.readSync(x.dataId);
    return args.backend.makeTensorInfo([...x.shape], to, to === 'float32' ? Float32Array.from(values) : Int32Array.from(values));
  };
  Object.defineProperty(kernelFunc, COPYING_CAST, { value: true });
  tf.unregisterKernel('Cast', 'cpu');
  tf.registerKernel({ ...original, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}

/**
 * Does `t`'s buffer hold its dtype? False for a cast made by tfjs's cpu `Cast` before
 * `registerCopyingCpuCast` ran (the engine's record of the buffer has the source dtype).
 */
export function hasOwnStorage(t: tf.Tensor): boolean {
  const record = tf.engine().state.tensorInfo.get(t.dataId);
  return record == null || record.dtype === t.dtype;
}

/**
 * `t` itself when its buffer holds its dtype, else a new tensor (on the active backend) made from
 * its values, which read correctly as numbers; the caller disposes a returned tensor that is not `t`.
 */
export function withOwnStorage<T extends tf.Tensor>(t: T): T {
  if (hasOwnStorage(t)) return t;
  return tf.tensor(t.dataSync(), t.shape, t.dtype) as T;
}

registerCopyingCpuCast();
