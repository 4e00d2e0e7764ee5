/**
 * Helpers shared by the wasm training kernels: calling the wasm backend's own kernels from inside
 * a kernel, views of tensors in the wasm heap, and disposing intermediates.
 *
 * Heap views: the wasm backend keeps every tensor in its linear memory; `typedArrayFromHeap`
 * returns a view at the tensor's offset. Allocating (makeOutput) may grow the memory, which
 * detaches earlier views, so every kernel allocates all its outputs first and takes views after.
 */
import * as tf from '@tensorflow/tfjs';

/** The part of `BackendWasm` the kernels use (the class is not exported as a type we can import cheaply). */
export interface WasmBackendLike extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}

export type WasmKernelFunc = (args: KernelArgs) => tf.TensorInfo;

export function asWasm(backend: tf.KernelBackend): WasmBackendLike {
  const b = backend as Partial<WasmBackendLike>;
  if (typeof b.makeOutput !== 'function' || typeof b.typedArrayFromHeap !== 'function') {
    throw new Error('mtlc wasm training kernel called on a backend that is not the wasm backend');
  }
  return backend as WasmBackendLike;
}

/** A kernel function of the wasm backend by name (throws when the wasm backend lacks it). */
export function wasmKernel(name: string): WasmKernelFunc {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`wasm backend kernel ${name} is not registered`);
  return k.kernelFunc as unknown as WasmKernelFunc;
}

/** A float32 view of a float32 tensor in the wasm heap. */
export function f32(backend: WasmBackendLike, info: tf.TensorInfo): Float32Array {
  const a = backend.typedArrayFromHeap(info);
  if (!(a instanceof Float32Array)) throw new Error(`expected a float32 tensor, got ${info.dtype}`);
  return a;
}

export function disposeAll(backend: tf.KernelBackend, infos: Iterable<tf.TensorInfo>, keep?: tf.TensorInfo): void {
  const seen = new Set<tf.DataId>();
  for (const t of infos) {
    if (keep !== undefined && t.dataId === keep.dataId) continue;
    if (seen.has(t.dataId)) continue;
    seen.add(t.dataId);
    backend.disposeData(t.dataId);
  }
}

/** `dataFormat` attr → whether it is NHWC (the only layout these kernels implement). */
export function isChannelsLast(dataFormat: unknown): boolean {
  return dataFormat === undefined || dataFormat === 'NHWC' || dataFormat === 'channelsLast';
}

export type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
export type Rounding = 'floor' | 'round' | 'ceil' | undefined;
export type Pair = number | [number, number];
