/**
 * Loads mtlc's SIMD kernels (simd/kernels.cc, built into the committed simd/kernels.wasm by
 * scripts/build-wasm-kernels.ts) and binds them to a wasm backend's own linear memory, so they
 * read and write tfjs tensors where they lie (pointers are tensors' `memoryOffset`s).
 *
 * Loading: in Node the binary is read and compiled synchronously on first use (small: ~65 KB);
 * elsewhere `prepareWasmSimdKernels()` (awaited by `selectBackend('wasm')`) fetches and compiles
 * it. One instance per backend memory. Where the module cannot load (no SIMD in this engine, the
 * file missing, a backend without an exposed memory) or `MTLC_WASM_SIMD=0` is set, `simdFor`
 * returns undefined and every kernel takes its previous path.
 */
import type * as tf from '@tensorflow/tfjs';
import type { WasmBackendLike } from './util.js';

/** The exports of kernels.wasm (pointers are byte offsets into tfjs-wasm's memory). */
export interface SimdExports {
  conv2d_forward(xp: number, b: number, hp: number, wp: number, ci: number, w: number, bias: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, out: number, oh: number, ow: number, co: number, relu: number): void;
  conv2d_backprop_filter(xp: number, b: number, hp: number, wp: number, ci: number, dy: number, oh: number, ow: number, co: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, out: number): void;
  conv2d_backprop_input(dy: number, b: number, oh: number, ow: number, co: number, wt: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, dxp: number, hp: number, wp: number, ci: number): void;
  max_pool_grad(x: number, dy: number, dx: number, b: number, h: number, w: number, c: number, oh: number, ow: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, top: number, left: number): void;
  avg_pool_grad(dy: number, dx: number, b: number, h: number, w: number, c: number, oh: number, ow: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, top: number, left: number, scale: number, perWindow: number): void;
  sum_leading(x: number, n: number, c: number, out: number): void;
  pad_nhwc(src: number, b: number, h: number, w: number, c: number, dst: number, hp: number, wp: number, top: number, left: number): void;
  crop_nhwc(src: number, b: number, hp: number, wp: number, c: number, top: number, left: number, dst: number, h: number, w: number): void;
  zero_f32(p: number, n: number): void;
  depthwise_backprop_filter(xp: number, b: number, hp: number, wp: number, c: number, dy: number, oh: number, ow: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, out: number): void;
  cs_forward2(x0: number, x1: number, alpha: number, y0: number, y1: number, rows: number, c: number): void;
  cs_axpy(x: number, a: number, y: number, rows: number, c: number, accumulate: number): void;
  cs_dot(g: number, x: number, out: number, part: number, rows: number, c: number): void;
  cs_backward2(g0: number, g1: number, x0: number, x1: number, alpha: number, d0: number, d1: number, s: number, part: number, rows: number, c: number): void;
  swap_filter_channels(w: number, kh: number, kw: number, ci: number, co: number, out: number): void;
  relu_grad(dy: number, x: number, dx: number, n: number): void;
  matmul(a: number, transA: number, b: number, c: number, m: number, k: number, n: number): void;
  momentum_update(value: number, acc: number, g: number, valueOut: number, accOut: number, n: number, m: number, c: number): void;
}

/** The part of the WebAssembly JS API used here (this project's TypeScript lib has no DOM types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
type WasmModule = { readonly __wasmModule?: never };
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: unknown };
  Memory: abstract new (...args: never[]) => WasmMemory;
  compile(bytes: ArrayBuffer): Promise<WasmModule>;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Bytes every input must have after it in memory: kernels may read a vector past a row's end. */
const SLACK = 16;
const WASM_URL = new URL('./simd/kernels.wasm', import.meta.url);

const state: {
  module: WasmModule | undefined;
  failed: string | undefined;
  enabled: boolean;
  instances: WeakMap<WasmMemory, SimdExports>;
} = {
  module: undefined,
  failed: undefined,
  enabled: readEnabled(),
  instances: new WeakMap(),
};

function readEnabled(): boolean {
  const env = typeof process !== 'undefined' ? process.env?.['MTLC_WASM_SIMD'] : undefined;
  return env === undefined || !['0', 'false', 'off', 'no'].includes(env.trim().toLowerCase());
}

function nodeFs(): { readFileSync(p: URL): Uint8Array } | undefined {
  const p = typeof process !== 'undefined' ? (process as { getBuiltinModule?: (id: string) => unknown }) : undefined;
  return p?.getBuiltinModule?.('node:fs') as { readFileSync(p: URL): Uint8Array } | undefined;
}

function compileSync(): WasmModule | undefined {
  if (state.module || state.failed) return state.module;
  const fs = nodeFs();
  if (!fs) return undefined; // not Node: prepareWasmSimdKernels() compiles asynchronously
  try {
    state.module = new WA.Module(fs.readFileSync(WASM_URL));
  } catch (e) {
    state.failed = e instanceof Error ? e.message : String(e);
  }
  return state.module;
}

/** Compiles the module where synchronous loading is unavailable (browsers). Never throws. */
export async function prepareWasmSimdKernels(): Promise<boolean> {
  if (state.module || state.failed) return state.module !== undefined;
  if (compileSync()) return true;
  try {
    const res = await fetch(WASM_URL);
    if (!res.ok) throw new Error(`${WASM_URL.href}: HTTP ${res.status}`);
    state.module = await WA.compile(await res.arrayBuffer());
  } catch (e) {
    state.failed = e instanceof Error ? e.message : String(e);
  }
  return state.module !== undefined;
}

/** Why the SIMD kernels are not in use, or undefined when they are available. */
export function simdUnavailableReason(): string | undefined {
  if (!state.enabled) return 'switched off (MTLC_WASM_SIMD=0 or useWasmSimdKernels(false))';
  compileSync();
  return state.failed ?? (state.module ? undefined : 'not loaded yet (await prepareWasmSimdKernels())');
}

/** Switches the SIMD kernels on or off (benchmarks and tests compare both paths). */
export function useWasmSimdKernels(on: boolean): void {
  state.enabled = on;
}

function memoryOf(backend: WasmBackendLike): WasmMemory | undefined {
  const m = (backend as unknown as { wasm?: { asm?: { memory?: unknown }; wasmMemory?: unknown } }).wasm;
  const mem = m?.asm?.memory ?? m?.wasmMemory;
  return mem instanceof WA.Memory ? (mem as WasmMemory) : undefined;
}

/** The SIMD kernels bound to this backend's memory, or undefined (then use the previous path). */
export function simdFor(backend: WasmBackendLike): SimdExports | undefined {
  if (!state.enabled) return undefined;
  const mod = state.module ?? compileSync();
  if (!mod) return undefined;
  const memory = memoryOf(backend);
  if (!memory) return undefined;
  let inst = state.instances.get(memory);
  if (!inst) {
    try {
      inst = new WA.Instance(mod, { env: { memory } }).exports as unknown as SimdExports;
    } catch (e) {
      state.failed = e instanceof Error ? e.message : String(e);
      return undefined;
    }
    state.instances.set(memory, inst);
  }
  return inst;
}

/** A tensor's byte offset in the wasm heap. */
export function ptr(backend: WasmBackendLike, info: tf.TensorInfo): number {
  return (backend as unknown as { dataIdMap: { get(id: tf.DataId): { memoryOffset: number } } }).dataIdMap.get(info.dataId).memoryOffset;
}

/**
 * Whether the kernels may read these float32 tensors: each must have SLACK bytes of memory
 * after it (a vector load may run past the last row; never past memory's end).
 */
export function readable(backend: WasmBackendLike, ...infos: tf.TensorInfo[]): boolean {
  const size = memoryOf(backend)?.buffer.byteLength ?? 0;
  for (const t of infos) {
    if (t.dtype !== 'float32') return false;
    const n = t.shape.reduce((p, d) => p * d, 1);
    if (ptr(backend, t) + 4 * n + SLACK > size) return false;
  }
  return true;
}
